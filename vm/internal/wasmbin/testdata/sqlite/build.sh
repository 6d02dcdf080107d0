#!/bin/sh
# build.sh: rebuild sqlite.wasm.gz, a real emscripten-built module (SQLite
# 3.44.2 and main.c, emscripten's own tests/sqlite/test.c) for the Meter
# differential test and benchmark. It was built with Debian's emcc 3.1.6
# (clang 14.0.6): a different emcc gives a different, equally good, binary.
#
# The SQLite amalgamation is the one `make js-deps` builds for the sqlite3
# npm package; pass another directory holding sqlite3.c and sqlite3.h as $1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../../../../test/js/node_modules/sqlite3/build/Release/obj/gen/sqlite-autoconf-3440200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NODE_PATH=${NODE_PATH:-/usr/share/nodejs} emcc -Oz -I"$src" "$here/main.c" "$src/sqlite3.c" \
	-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -o "$tmp/sqlite.js"
gzip -9 -n -c "$tmp/sqlite.wasm" >"$here/sqlite.wasm.gz"
