# js.mk: the Node tools aogo's Go tests use (arlocal, arbundles), installed into
# test/js/node_modules. Include it from the repository root Makefile:
#
#	include test/js/js.mk
#	test: js-deps
#
# `make js-deps` runs `npm ci` (about 2 minutes: it compiles sqlite3) only when
# node_modules is missing or older than package.json / package-lock.json; otherwise
# it returns at once. Node and npm are installed with apt-get only if `node` is
# missing. To change the dependencies, edit package.json, run `npm install` in
# test/js and commit the new package-lock.json.

JS_DIR ?= test/js
JS_STAMP := $(JS_DIR)/node_modules/.aogo-js-deps.stamp

.PHONY: js-deps js-clean

js-deps: $(JS_STAMP)

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@if ! command -v node >/dev/null 2>&1; then \
		echo "js-deps: node is missing, installing nodejs and npm with apt-get"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm python3 make g++; \
	fi
	cd $(JS_DIR) && npm ci --no-audit --no-fund
	@touch $@

js-clean:
	rm -rf $(JS_DIR)/node_modules
