#!/bin/sh
# build.sh OUTDIR: builds OUTDIR/rich-fmt4.wasm, the wasm32-unknown-emscripten4
# test process (also the input of wasm32-unknown-emscripten-metering, which the
# loader instruments itself). See README.md.
#
# Freestanding C (aoproc.c, rt.S) compiled by clang-14 and linked by
# wasm-ld-14, then binaryen's Asyncify pass over the three WeaveDrive imports,
# as emscripten runs it for -sASYNCIFY. No libc, no emcc. About 1 s; the
# output is byte-for-byte reproducible with the same clang/lld/binaryen.
#
# Tools can be overridden: CLANG, WASM_LD, WASM_OPT.
set -eu

out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
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

# -mcpu=mvp: no sign-ext, bulk-memory or other post-MVP opcodes, so that
# @permaweb/wasm-metering (the -metering formats) can parse the module.
cflags="--target=wasm32 -mcpu=mvp -O2 -ffreestanding -fno-builtin -nostdlib -Wall -Wextra -Werror"
"$CLANG" $cflags -c "$here/aoproc.c" -o "$tmp/aoproc.o"
"$CLANG" --target=wasm32 -mcpu=mvp -c "$here/rt.S" -o "$tmp/rt.o"

# Layout as emscripten's: data from 1024, then a 16 MiB stack growing down
# to __data_end, then the heap from __heap_base. 18 MiB initial memory, at
# most 128 MiB (2048 pages).
"$WASM_LD" --no-entry --export-table \
	-z stack-size=16777216 --initial-memory=18874368 --max-memory=134217728 \
	--export=__wasm_call_ctors \
	--export=emscripten_stack_init \
	--export=emscripten_stack_get_base \
	--export=emscripten_stack_get_end \
	--export=emscripten_stack_get_free \
	--export=emscripten_stack_get_current \
	--export=_emscripten_stack_alloc \
	--export=_emscripten_stack_restore \
	"$tmp/aoproc.o" "$tmp/rt.o" -o "$tmp/linked.wasm"

# Asyncify: the WeaveDrive imports may unwind and rewind the stack. Adds the
# asyncify_{start,stop}_{unwind,rewind} and asyncify_get_state exports.
"$WASM_OPT" "$tmp/linked.wasm" -g \
	--asyncify \
	--pass-arg=asyncify-imports@env.__asyncjs__weavedrive_open,env.__asyncjs__weavedrive_read,env.__asyncjs__weavedrive_close \
	-O2 -o "$tmp/fmt4.wasm"

if command -v wasm-validate >/dev/null 2>&1; then
	wasm-validate "$tmp/fmt4.wasm"
fi
mv "$tmp/fmt4.wasm" "$out/rich-fmt4.wasm"
