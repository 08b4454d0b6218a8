# scheduler-core: every command a user or CI needs. `make run` and `make test` work on a fresh
# Debian machine: `deps` installs what is missing with apt.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# libpq-dev and postgresql: the shared pool (SchedulerPoolPostgres) and its tests' throwaway cluster.
APT_PACKAGES := liburing-dev pkg-config iproute2 util-linux curl zlib1g-dev libpq-dev postgresql
# The examples are a package of their own (Examples/Package.swift), so that users of the library
# never resolve what only they need.
EXAMPLES := --package-path Examples
# The README's runnable examples: `make examples` runs each on every backend; each must end by itself.
README_EXAMPLES := readme-tour readme-engine readme-handler readme-durable tenant-sites
# Strict mode (`.ci/run` sets SCHEDULER_CORE_STRICT=1): what would be skipped for a missing
# prerequisite (io_uring, the wasm toolchain, python3, a network namespace)
# fails instead, with the reason. A developer's plain `make test` still skips with a message.
SCHEDULER_CORE_STRICT ?=
export SCHEDULER_CORE_STRICT
# `skipped WHAT`: prints why WHAT is skipped; in strict mode fails instead.
SKIP = if [ "$(SCHEDULER_CORE_STRICT)" = 1 ]; then echo "FAILED (strict mode, SCHEDULER_CORE_STRICT=1): $$why" >&2; exit 1; else echo "SKIPPED: $$why"; fi

# Modules with a DocC catalog (Sources/<module>/<module>.docc); `make docs` builds each of them.
DOC_MODULES := SchedulerPool SchedulerSocket SchedulerEngine SchedulerCore
# The C that `make format` formats with .clang-format.
C_SOURCES = $(shell git ls-files '*.c' '*.h')

.PHONY: test-postgres bench-shared deps run test examples readme-check consumer-check docs format-deps fuzz test-posix test-io_uring sanitize bench bench-pool bench-echo bench-durable bench-http bench-client bench-parser bench-router bench-json bench-ws-codec bench-ws wasm-test mutants format lint clean

# Installs the Debian packages the build and tests need, only where missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Four scenarios on pools inside 127.0.0.0/8 (Examples/SocketWithIPPool), then three tenants'
# web sites on three pool addresses of one HTTP server (Examples/TenantSites).
run: deps
	$(SWIFT) run $(EXAMPLES) -c release socket-with-ip-pool
	$(SWIFT) run $(EXAMPLES) -c release tenant-sites

# The whole suite once per I/O backend (io_uring only where the kernel allows it), the README's
# examples, a user's package built against a tagged clone, the DocC catalogs (warnings are
# errors), then the sanitizers and wasm32.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) build $(EXAMPLES)
	$(MAKE) --no-print-directory test-posix
	$(MAKE) --no-print-directory test-io_uring
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory readme-check
	$(MAKE) --no-print-directory examples
	$(MAKE) --no-print-directory consumer-check
	$(MAKE) --no-print-directory docs
	$(MAKE) --no-print-directory sanitize
	$(MAKE) --no-print-directory wasm-test
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60

test-posix:
	@echo "== tests, backend posix =="
	SCHEDULER_CORE_BACKEND=posix $(SWIFT) test --skip-build --no-parallel

# The shared pool against a throwaway PostgreSQL cluster (tools/pg_cluster.sh: a temporary
# directory, a free loopback port, the postgres user, fsync on), stopped and removed at the end:
# SchedulerPoolPostgresTests (elsewhere they skip, saying so), then the ippool command on both
# kinds of pool (tools/ippool_cli_test.sh). Skips with a message only where PostgreSQL's server
# is not installed.
PG_FREE_PORT = python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
test-postgres:
	@echo "== shared pool tests on PostgreSQL =="
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  why="test-postgres: no PostgreSQL server (apt-get install postgresql)"; $(SKIP); exit 0; fi; \
	dir=$$(mktemp -d /tmp/scheduler-core-pg.XXXXXX); \
	trap 'bash tools/pg_cluster.sh stop '"$$dir" EXIT; \
	url=$$(bash tools/pg_cluster.sh start $$dir $$($(PG_FREE_PORT))) || exit 1; \
	SCHEDULER_CORE_PG_URL=$$url SCHEDULER_CORE_PG_DIR=$$dir $(SWIFT) test --skip-build --no-parallel \
	  --filter SchedulerPoolPostgresTests || exit 1; \
	$(SWIFT) build $(EXAMPLES) --product ippool -q && \
	bash tools/ippool_cli_test.sh "$$($(SWIFT) build $(EXAMPLES) --show-bin-path)/ippool" $$url

# Runs only where tools/io_uring_probe.c can set up a ring; elsewhere prints why it skipped.
test-io_uring:
	@echo "== tests, backend io_uring =="
	@mkdir -p .build-tools && cc -O2 -o .build-tools/io_uring_probe tools/io_uring_probe.c -luring
	@if .build-tools/io_uring_probe; then \
	  SCHEDULER_CORE_BACKEND=io_uring $(SWIFT) test --skip-build --no-parallel; \
	else \
	  why="test-io_uring: io_uring cannot be set up on this machine (see the probe's message above)"; $(SKIP); \
	fi

# The whole suite again under AddressSanitizer (Swift and C) and UndefinedBehaviorSanitizer (the C
# targets), one build and one run per backend. UBSan's handlers come with the toolchain's ASan
# runtime (nothing more to install or link); any report fails the run (-fno-sanitize-recover),
# leaks included (LeakSanitizer; tools/lsan.supp lists the only leaks allowed, none of them ours).
# One build for both keeps CI well under 20 minutes: two builds and four runs cost about 7 more.
UBSAN_FLAGS = -Xcc -fsanitize=undefined -Xcc -fno-sanitize=function -Xcc -fno-sanitize-recover=undefined
SANITIZE_BACKENDS = posix $(shell mkdir -p .build-tools && cc -O2 -o .build-tools/io_uring_probe tools/io_uring_probe.c -luring && .build-tools/io_uring_probe >/dev/null 2>&1 && echo io_uring)

sanitize:
	@case " $(SANITIZE_BACKENDS) " in *" io_uring "*) ;; *) \
	  why="sanitize: io_uring cannot be set up here, so the sanitizers run on posix only"; $(SKIP);; esac
	@echo "== tests under AddressSanitizer and UBSan (C), backends: $(SANITIZE_BACKENDS) =="
	$(SWIFT) build --build-tests --scratch-path .build-asan --sanitize=address $(UBSAN_FLAGS)
	@for b in $(SANITIZE_BACKENDS); do \
	  echo "-- asan+ubsan, backend $$b"; \
	  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tools/lsan.supp \
	    SCHEDULER_CORE_BACKEND=$$b $(SWIFT) test --skip-build --no-parallel \
	    --scratch-path .build-asan --sanitize=address $(UBSAN_FLAGS) -q || exit 1; \
	done

# Builds every example and runs the README's, once per backend, each bounded by a timeout.
examples: deps
	$(SWIFT) build $(EXAMPLES)
	@bin="$$($(SWIFT) build $(EXAMPLES) --show-bin-path)"; \
	for b in $(SANITIZE_BACKENDS); do for e in $(README_EXAMPLES); do \
	  echo "-- $$e, backend $$b"; \
	  SCHEDULER_CORE_BACKEND=$$b timeout 60 "$$bin/$$e" || { echo "examples: $$e failed on $$b"; exit 1; }; \
	done; done

# Every Swift block of README.md must be a copy of an example's (or tools/consumer's) code, and
# every shell block must name make targets and products that exist.
readme-check:
	@python3 tools/readme_check.py

# A throwaway package that depends on a tagged clone of HEAD by URL and version, as a user's does:
# it must build, run, and resolve none of the packages only examples, tests or docs use.
consumer-check: deps
	@bash tools/consumer-check.sh

bench: deps bench-pool bench-echo bench-durable bench-router bench-json bench-http bench-client bench-shared bench-ws-codec bench-ws

# JSONBytesEncoder against Foundation's JSONEncoder on the same values: ns per encode and the ratio.
bench-json:
	$(SWIFT) build -c release --product json-bench
	.build/release/json-bench | tee bench/results/json.txt

# HTTPRouter with 10 routes and with 1,000, same run: ns per routed request and the ratio.
bench-router:
	$(SWIFT) build -c release --product router-bench
	.build/release/router-bench

# The WebSocket codec's masking and UTF-8 validation in GB/s, beside a byte-wise loop, the old
# pure-Swift UTF-8 validator and the standard library's validator measured in the same run.
bench-ws-codec:
	$(SWIFT) build -c release --product ws-codec-bench
	.build/release/ws-codec-bench

# WebSocket echo of 64-byte and 16 KiB messages over 64 connections: our HTTPRouter route against
# Hummingbird's WebSocket (bench/ws, a package of its own), driven by a C load generator
# (bench/ws/ws_load.c, built here with Debian's cc). Writes bench/results/ws.*
bench-ws: deps
	@command -v cc >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gcc libc6-dev >/dev/null; }
	mkdir -p .build-wsbench
	cc -O2 -Wall -Wextra -o .build-wsbench/ws_load bench/ws/ws_load.c
	python3 bench/ws/run_bench.py

# The pool's speed and memory against C peers, its contention table (1-32 threads beside C churn
# around a plain and a priority-inheriting pthread mutex), then the engine under a shared lock.
bench-pool:
	$(SWIFT) build -c release --product pool-bench
	$(SWIFT) build -c release --product engine-lock-bench
	.build/release/pool-bench
	.build/release/engine-lock-bench 16 1

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

# HTTPClient against AsyncHTTPClient (bench/client, a package of its own) and curl, 64 keep-alive
# connections to our http-server and to nginx on loopback. Writes bench/results/client.*
bench-client: deps
	@missing=""; for p in nginx curl; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "bench-client: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	python3 bench/client/run_bench.py

# The request parser alone (bytes/s) against llhttp (swift-nio's copy) on three requests.
# Writes bench/results/parser.*
bench-parser:
	python3 bench/http/run_parser_bench.py

# The shared pool on one throwaway PostgreSQL (fsync and synchronous_commit on): 4 host
# processes x 8 allocators, one host alone, and a NetBox-style baseline (a transaction per
# allocation locking the pool, lowest free address) in the same run; allocations/s, p50/p99,
# allocations per transaction, the cost of a block claim. Writes bench/results/shared.txt
bench-shared: deps
	$(SWIFT) build -c release --product shared-bench
	@dir=$$(mktemp -d /tmp/scheduler-core-pg.XXXXXX); \
	trap 'bash tools/pg_cluster.sh stop '"$$dir" EXIT; \
	url=$$(bash tools/pg_cluster.sh start $$dir $$($(PG_FREE_PORT))) || exit 1; \
	mkdir -p bench/results; \
	.build/release/shared-bench $$url 5 | tee bench/results/shared.txt

# Durable pool allocations/s (fdatasync before each returns) with 1 and 8 threads, beside the
# in-memory pool in the same run; the pool directory is on this checkout's disk.
bench-durable:
	$(SWIFT) run -c release durable-bench

# The pool's address and allocator code built as Embedded Swift for wasm32, linked with
# wasi-libc into a wasm32-wasip1 program and run under wasmkit (wasm/build.sh installs
# wasi-libc and compiler-rt's wasm32 builtins with apt where missing).
wasm-test:
	@bash wasm/build.sh

# The DocC catalogs, one per module of DOC_MODULES, with warnings as errors. The plugin is
# resolved only here (SCHEDULER_CORE_DOCS=1, see Package.swift), in a build folder of its own.
# Output: .build-docs/docs/<module>.doccarchive
docs:
	@mkdir -p .build-docs/docs
	@for m in $(DOC_MODULES); do \
	  echo "== docs: $$m"; \
	  SCHEDULER_CORE_DOCS=1 $(SWIFT) package --scratch-path .build-docs \
	    --allow-writing-to-directory .build-docs/docs generate-documentation --target $$m \
	    --warnings-as-errors --output-path .build-docs/docs/$$m.doccarchive || exit 1; \
	done

# Breaks the code one change at a time (tools/mutants.py lists the changes) in a scratch copy and
# runs the tests that should notice; prints a table and fails unless every change was caught.
# Slow (a build and a test run per change), so not part of `make test`; rerun after each feature.
mutants: deps
	python3 tools/mutants.py

# clang-format from Debian where it is missing (the Swift toolchain has none).
format-deps:
	@command -v clang-format >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq clang-format >/dev/null; }

format: format-deps
	$(SWIFT) format --in-place --recursive Sources Tests Examples bench wasm tools Package.swift
	clang-format -i $(C_SOURCES)

lint:
	$(SWIFT) format lint --recursive Sources Tests Examples bench wasm tools Package.swift

clean:
	rm -rf .build .build-*

# libFuzzer on the HTTP parser (swiftc -sanitize=fuzzer,address): random and mutated requests
# and responses; fails on a crash or when parsing split input differs from parsing it whole.
# Runs FUZZ_SECONDS (default 60); seeds in fuzz/corpus, findings and build in .build-fuzz/.
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)
