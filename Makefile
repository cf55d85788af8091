# Baton: `make run` builds and runs, `make test` runs every test.
# Both install the Debian packages they need first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps deps-test build run samples test test-build test-asan bench install clean

all: build

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# `run` starts batond with every role on SQLite (./baton-data) and the
# bundled samples loaded; `samples` runs every sample with the Runbook
# Tester instead, without a server.
run: build
	@scripts/run-batond.sh $(BUILD)

samples: build
	@scripts/run-samples.sh $(BUILD)

test: deps-test
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_WERROR=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBATON_WERROR=ON -DBATON_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

bench: build
	$(BUILD)/bench/engine
	$(BUILD)/bench/store_jobs
	$(BUILD)/bench/jobs

# `install` puts batond and baton in $(PREFIX)/bin, the systemd units in
# /etc/systemd/system, /etc/baton/baton.conf (kept if present) and the
# system user baton; DESTDIR=... stages the files instead (see
# docs/deployment.md).
install: build
	@dist/install.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
