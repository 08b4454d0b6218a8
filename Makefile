# scheduler-core: every command a user or CI needs. `make run` and `make test` work on a fresh
# Debian machine: `deps` installs what is missing with apt.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := liburing-dev pkg-config iproute2 util-linux

.PHONY: deps run test test-posix test-io_uring bench bench-pool bench-echo wasm-test format lint clean

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

test-posix:
	@echo "== tests, backend posix =="
	SCHEDULER_CORE_BACKEND=posix $(SWIFT) test --skip-build --no-parallel

test-io_uring:
	@echo "== tests, backend io_uring =="
	@if SCHEDULER_CORE_BACKEND=io_uring $(SWIFT) run --skip-build socket-with-ip-pool --probe-io-uring >/dev/null 2>&1; then \
	  SCHEDULER_CORE_BACKEND=io_uring $(SWIFT) test --skip-build --no-parallel; \
	else echo "io_uring is not available on this host: io_uring run skipped"; fi

bench: deps bench-pool

bench-pool:
	$(SWIFT) run -c release pool-bench

format:
	$(SWIFT) format --in-place --recursive Sources Tests Examples bench Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Examples bench Package.swift

clean:
	rm -rf .build .build-*
