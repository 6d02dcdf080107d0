# modules.mk: aogo's test process modules (the WASM processes the vm tests run),
# built into vm/testdata/build/. Included at the end of the root Makefile:
#
#	include vm/testdata/modules.mk
#	test: js-deps test-modules ...
#
# `make test-modules` installs emscripten, binaryen and wabt with apt-get
# (only if emcc, wasm-opt or wasm-validate is missing) and runs
# vm/testdata/build.sh when any file under vm/testdata (outside build/) or the
# npm lock file (wasm-metering is an npm package) is newer than the stamp;
# otherwise it returns at once. It needs js-deps (node and test/js/node_modules).
# The build is reproducible, so modules are built, not committed.
# vm/testdata/README.md describes the modules.

MODULES_DIR ?= vm/testdata
MODULES_OUT ?= $(MODULES_DIR)/build
MODULES_STAMP := $(MODULES_OUT)/.aogo-modules.stamp
# Inputs of the build: everything under vm/testdata except the output, the
# self-check's expectations and the files that only describe or drive tests.
MODULES_SRC := $(shell find $(MODULES_DIR) -type f -not -path '$(MODULES_OUT)/*' \
	-not -path '$(MODULES_DIR)/expected/*' -not -name '*.md' -not -name '*.jsonl' \
	-not -path '$(MODULES_DIR)/env.json' -not -path '$(MODULES_DIR)/selfcheck.js' 2>/dev/null)

.PHONY: test-modules check-modules modules-clean

test-modules: $(MODULES_STAMP)

# check-modules runs every C test process under the reference loader and
# compares outputs, gas and memory hashes with vm/testdata/expected/.
check-modules: test-modules
	node $(MODULES_DIR)/selfcheck.js $(MODULES_OUT)

$(MODULES_STAMP): $(MODULES_SRC) $(wildcard vm/guest/*.go) $(JS_DIR)/package-lock.json | js-deps
	@missing=; \
	command -v emcc >/dev/null 2>&1 || missing="$$missing emscripten"; \
	command -v wasm-opt >/dev/null 2>&1 || missing="$$missing binaryen"; \
	command -v wasm-validate >/dev/null 2>&1 || missing="$$missing wabt"; \
	if [ -n "$$missing" ]; then \
		echo "test-modules: installing$$missing with apt-get"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	rm -rf $(MODULES_OUT)
	sh $(MODULES_DIR)/build.sh $(MODULES_OUT)
	@touch $@

modules-clean:
	rm -rf $(MODULES_OUT)
