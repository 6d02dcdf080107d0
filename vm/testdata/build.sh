#!/bin/sh
# build.sh OUTDIR: builds aogo's test process modules into OUTDIR.
#
# Needs emcc (Debian emscripten 3.1.6), wasm-validate (wabt), node, and
# @permaweb/wasm-metering in test/js/node_modules (`make js-deps`). Run it
# through `make test-modules` (vm/testdata/modules.mk), which installs the
# tools and rebuilds only when sources change.
#
# Output, for N in 1 2 3 (AO formats wasm32-unknown-emscripten, ...2, ...3):
#   minimal-fmtN.wasm  minimal-fmtN-metered.wasm
#   rich-fmtN.wasm     rich-fmtN-metered.wasm
#   testproc.json      what each file is (format, variant, metered)
# then every vm/testdata/*/build.sh OUTDIR is run (other module families).
# vm/testdata/README.md documents the modules. The build is reproducible:
# the same sources give byte-identical modules.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

for tool in emcc node wasm-validate; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "build.sh: $tool not found (run make test-modules)" >&2
		exit 1
	fi
done

# Debian's emcc runs tools/acorn-optimizer.js on the JS it writes; node-acorn
# lives in /usr/share/nodejs, which a non-Debian node does not search.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
# Keep emcc's Python from writing bytecode next to its sources.
export PYTHONDONTWRITEBYTECODE=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

src="$here/src"
# Compile with -O2, link with -O1 (binaryen -O2 doubles the link time and
# changes nothing that matters here).
cflags="-O2 -g2"
# -o x.js (not x.wasm) gives the JS-glue flavour of the wasm (legalized i64,
# JS library imports) that ao-loader's glue expects; the .js is thrown away.
# ERROR_ON_UNDEFINED_SYMBOLS=0: the glue.h imports (e.g. _emscripten_date_now)
# do not exist in 3.1.6's JS library; wasmpost.js checks every import instead.
ldflags="-O1 -g2 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16777216 -sMAXIMUM_MEMORY=536870912 \
 -sTOTAL_STACK=8388608 -sERROR_ON_UNDEFINED_SYMBOLS=0 -sENVIRONMENT=node"
exports="_handle,_main,_malloc,_free,_fflush,_sbrk,_emscripten_stack_init,_emscripten_stack_get_end,\
_emscripten_stack_get_base,_emscripten_stack_get_free"

format_name() {
	case $1 in
	1) echo wasm32-unknown-emscripten ;;
	*) echo "wasm32-unknown-emscripten$1" ;;
	esac
}

# run NAME CMD...: runs CMD with its output in $tmp/NAME.log, shown on failure.
run() {
	name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 || {
		cat "$tmp/$name.log" >&2
		return 1
	}
}

# wait_all PID...: waits for every job, fails if any failed.
wait_all() {
	fail=0
	for pid in "$@"; do
		wait "$pid" || fail=1
	done
	if [ "$fail" != 0 ]; then
		echo "build.sh: building the C test processes failed" >&2
		exit 1
	fi
}

# Objects. The minimal process does not depend on the format: one link serves
# all three, wasmpost.js makes the per-format modules.
set --
run json.o emcc -c "$src/json.c" $cflags -o "$tmp/json.o" &
set -- "$@" $!
run minimal.o emcc -c "$src/process.c" $cflags -o "$tmp/minimal.o" &
set -- "$@" $!
for fmt in 1 2 3; do
	run rich$fmt.o emcc -c "$src/process.c" $cflags -DAO_RICH -DAO_FMT=$fmt -o "$tmp/rich$fmt.o" &
	set -- "$@" $!
	run glue$fmt.o emcc -c "$src/glue.c" $cflags -DAO_FMT=$fmt -o "$tmp/glue$fmt.o" &
	set -- "$@" $!
done
wait_all "$@"

# Links.
set --
# shellcheck disable=SC2086
run minimal.link emcc "$tmp/minimal.o" "$tmp/json.o" $ldflags -sEXPORTED_FUNCTIONS="$exports" -o "$tmp/minimal.js" &
set -- "$@" $!
for fmt in 1 2 3; do
	exp=$exports
	[ "$fmt" = 3 ] && exp="$exp,_setTempRet0"
	# shellcheck disable=SC2086
	run rich$fmt.link emcc "$tmp/rich$fmt.o" "$tmp/json.o" "$tmp/glue$fmt.o" $ldflags -sEXPORTED_FUNCTIONS="$exp" \
		-o "$tmp/rich$fmt.js" &
	set -- "$@" $!
done
wait_all "$@"

# Per-format modules, plain and metered.
set --
for fmt in 1 2 3; do
	f=$(format_name "$fmt")
	for variant in minimal rich; do
		in=$tmp/$variant.wasm
		[ "$variant" = rich ] && in=$tmp/rich$fmt.wasm
		name=$variant-fmt$fmt
		run "$name.post" node "$here/tools/wasmpost.js" --format "$f" "$in" "$out/$name.wasm" &
		set -- "$@" $!
		run "$name.meter" node "$here/tools/wasmpost.js" --format "$f" --meter "$in" "$out/$name-metered.wasm" &
		set -- "$@" $!
	done
done
wait_all "$@"
for fmt in 1 2 3; do
	for variant in minimal rich; do
		wasm-validate "$out/$variant-fmt$fmt.wasm"
		wasm-validate "$out/$variant-fmt$fmt-metered.wasm"
	done
done

{
	echo "["
	sep=""
	for variant in minimal rich; do
		for fmt in 1 2 3; do
			for metered in false true; do
				file=$variant-fmt$fmt
				[ "$metered" = true ] && file=$file-metered
				printf '%s  {"file": "%s.wasm", "format": "%s", "variant": "%s", "metered": %s}' \
					"$sep" "$file" "$(format_name "$fmt")" "$variant" "$metered"
				sep=",
"
			done
		done
	done
	printf '\n]\n'
} >"$out/testproc.json"

# Other module families (one directory each, with its own build.sh).
for sub in "$here"/*/build.sh; do
	[ -f "$sub" ] || continue
	sh "$sub" "$out"
done
