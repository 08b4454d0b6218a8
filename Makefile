# scheduler-core: every command a user or CI needs. `make run` and `make test` work on a fresh
# Debian machine: `deps` installs what is missing with apt.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := liburing-dev pkg-config iproute2 util-linux

.PHONY: deps run test test-posix test-io_uring sanitize bench bench-pool bench-echo bench-durable bench-http bench-parser wasm-test format lint clean

# Installs the Debian packages the build and tests need, only where missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# The seed's four scenarios on pools inside 127.0.0.0/8.
run: deps
	$(SWIFT) run -c release socket-with-ip-pool

# The whole suite once per I/O backend (io_uring only where the kernel allows it).
test: deps
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory test-posix
	$(MAKE) --no-print-directory test-io_uring
	$(MAKE) --no-print-directory sanitize
	$(MAKE) --no-print-directory wasm-test

test-posix:
	@echo "== tests, backend posix =="
	SCHEDULER_CORE_BACKEND=posix $(SWIFT) test --skip-build --no-parallel

# Runs only where tools/io_uring_probe.c can set up a ring; elsewhere prints why it skipped.
test-io_uring:
	@echo "== tests, backend io_uring =="
	@mkdir -p .build-tools && cc -O2 -o .build-tools/io_uring_probe tools/io_uring_probe.c -luring
	@if .build-tools/io_uring_probe; then \
	  SCHEDULER_CORE_BACKEND=io_uring $(SWIFT) test --skip-build --no-parallel; \
	else \
	  echo "test-io_uring: SKIPPED: io_uring cannot be set up on this machine (see the probe's message above)"; \
	fi

# The whole suite again under AddressSanitizer (Swift and C), then under UndefinedBehaviorSanitizer
# (the C targets; the toolchain's own runtime, so nothing more to install), each on both
# backends, each in its own build folder. Any report fails the run.
UBSAN_RT = $(firstword $(wildcard $(dir $(realpath $(shell command -v $(SWIFT))))../lib/clang/*/lib/linux/libclang_rt.ubsan_standalone-x86_64.a))
UBSAN_FLAGS = -Xcc -fsanitize=undefined -Xcc -fno-sanitize=function -Xcc -fno-sanitize-recover=undefined -Xlinker $(UBSAN_RT)
SANITIZE_BACKENDS = posix $(shell mkdir -p .build-tools && cc -O2 -o .build-tools/io_uring_probe tools/io_uring_probe.c -luring && .build-tools/io_uring_probe >/dev/null 2>&1 && echo io_uring)

sanitize:
	@echo "== tests under AddressSanitizer, backends: $(SANITIZE_BACKENDS) =="
	$(SWIFT) build --build-tests --scratch-path .build-asan --sanitize=address
	@for b in $(SANITIZE_BACKENDS); do \
	  echo "-- asan, backend $$b"; \
	  ASAN_OPTIONS=detect_leaks=0 SCHEDULER_CORE_BACKEND=$$b $(SWIFT) test --skip-build --no-parallel \
	    --scratch-path .build-asan --sanitize=address -q || exit 1; \
	done
	@if [ -z "$(UBSAN_RT)" ]; then echo "sanitize: SKIPPED UBSan: no libclang_rt.ubsan_standalone in the Swift toolchain"; exit 0; fi; \
	echo "== tests under UndefinedBehaviorSanitizer (C), backends: $(SANITIZE_BACKENDS) =="; \
	$(SWIFT) build --build-tests --scratch-path .build-ubsan $(UBSAN_FLAGS) || exit 1; \
	for b in $(SANITIZE_BACKENDS); do \
	  echo "-- ubsan, backend $$b"; \
	  SCHEDULER_CORE_BACKEND=$$b $(SWIFT) test --skip-build --no-parallel --scratch-path .build-ubsan -q || exit 1; \
	done

bench: deps bench-pool bench-echo bench-durable

bench-pool:
	$(SWIFT) run -c release pool-bench

# Echo ping-pong and bulk against C io_uring, C epoll and SwiftNIO peers; writes bench/results/echo.*
bench-echo: deps
	@python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install -q matplotlib || echo "bench-echo: no matplotlib, echo.png will be skipped"
	python3 bench/echo/run_bench.py

# HTTP servers under wrk (plaintext, pipelined 16 deep, /json) against a C io_uring server, nginx,
# Hummingbird 2 and NIOHTTP1 (bench/http/peers, its own package); allocations per request, RSS per
# idle connection and a perf profile of ours. Installs wrk, nginx (and perf) with apt where missing.
# Writes bench/results/http.*
bench-http: deps
	@missing=""; for p in wrk nginx linux-perf; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "bench-http: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install -q matplotlib || echo "bench-http: no matplotlib, http.png will be skipped"
	python3 bench/http/run_bench.py

# The request parser alone (bytes/s) against llhttp (swift-nio's copy) on three requests.
# Writes bench/results/parser.*
bench-parser:
	python3 bench/http/run_parser_bench.py

# Durable pool allocations/s (fdatasync before each returns) with 1 and 8 threads, beside the
# in-memory pool in the same run; the pool directory is on this checkout's disk.
bench-durable:
	$(SWIFT) run -c release durable-bench

# The pool's address and allocator code built as Embedded Swift for wasm32, linked with
# wasi-libc into a wasm32-wasip1 program and run under wasmkit (wasm/build.sh installs
# wasi-libc and compiler-rt's wasm32 builtins with apt where missing).
wasm-test:
	@bash wasm/build.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Examples bench wasm Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Examples bench wasm Package.swift

clean:
	rm -rf .build .build-*
