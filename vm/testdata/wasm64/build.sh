#!/bin/sh
# build.sh OUTDIR: builds OUTDIR/rich-wasm64.wasm, the
# wasm64-unknown-emscripten-draft_2024_02_15 test process (also the input of
# wasm64-unknown-emscripten-draft_2024_10_16-metering). A real memory64 module:
# memory index type i64, i64 pointers everywhere. See README.md.
#
# The C source is shared with the fmt4 module (../fmt4/aoproc.c, ../fmt4/rt.S)
# and compiled with clang-14 --target=wasm64, linked by wasm-ld-14 -mwasm64.
# Binaryen 108's --asyncify rejects memory64, so Asyncify is hand-written
# (-DAOGO_MANUAL_ASYNCIFY). No libc, no emcc, no wasm64 sysroot build. Under a
# second; byte-for-byte reproducible with the same clang/lld.
#
# The build also checks what the Go host will do with it: wasm-opt
# --enable-memory64 --memory64-lowering must produce a module that validates.
#
# Tools can be overridden: CLANG, WASM_LD, WASM_OPT.
set -eu

out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../fmt4
CLANG=${CLANG:-clang-14}
WASM_LD=${WASM_LD:-wasm-ld-14}
WASM_OPT=${WASM_OPT:-wasm-opt}

for tool in "$CLANG" "$WASM_LD" "$WASM_OPT"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$0: $tool not found (apt-get install clang-14 lld-14 binaryen)" >&2
		exit 1
	fi
done

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cflags="--target=wasm64 -mcpu=mvp -O2 -ffreestanding -fno-builtin -nostdlib -Wall -Wextra -Werror -DAOGO_MANUAL_ASYNCIFY"
"$CLANG" $cflags -c "$src/aoproc.c" -o "$tmp/aoproc.o"
"$CLANG" --target=wasm64 -mcpu=mvp -DAOGO_MANUAL_ASYNCIFY -c "$src/rt.S" -o "$tmp/rt.o"

# Same layout as fmt4: data from 1024, 16 MiB stack, heap; 18 MiB initial
# memory, at most 128 MiB.
"$WASM_LD" -mwasm64 --no-entry --export-table \
	-z stack-size=16777216 --initial-memory=18874368 --max-memory=134217728 \
	--export=__wasm_call_ctors \
	--export=emscripten_stack_init \
	--export=emscripten_stack_get_base \
	--export=emscripten_stack_get_end \
	--export=emscripten_stack_get_free \
	--export=emscripten_stack_get_current \
	--export=_emscripten_stack_alloc \
	--export=_emscripten_stack_restore \
	--export=asyncify_start_unwind \
	--export=asyncify_stop_unwind \
	--export=asyncify_start_rewind \
	--export=asyncify_stop_rewind \
	--export=asyncify_get_state \
	"$tmp/aoproc.o" "$tmp/rt.o" -o "$tmp/wasm64.wasm"

"$WASM_OPT" --enable-memory64 --memory64-lowering "$tmp/wasm64.wasm" -o "$tmp/lowered.wasm"
if command -v wasm-validate >/dev/null 2>&1; then
	wasm-validate --enable-memory64 "$tmp/wasm64.wasm"
	wasm-validate "$tmp/lowered.wasm"
fi
chmod 644 "$tmp/wasm64.wasm"
mv "$tmp/wasm64.wasm" "$out/rich-wasm64.wasm"
