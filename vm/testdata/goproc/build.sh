#!/bin/sh
# build.sh OUTDIR: builds goproc.wasm, a wasm32-wasip1-aogo module, into
# OUTDIR. The build is reproducible: the same Go toolchain and sources give
# the same bytes (no paths, no build id, no VCS stamp; the environment
# variables that change code generation are pinned).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")"
env CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOWASM= GOEXPERIMENT= GOFLAGS= \
	go build -buildmode=c-shared -trimpath -buildvcs=false \
	-ldflags='-s -w -buildid=' -o "$out/goproc.wasm" .
