#!/usr/bin/env bash
# Builds the pool core (Sources/SchedulerPool and CSources/CSchedulerAllocator) as Embedded Swift
# for wasm32-unknown-none-wasm, links it with wasi-libc into a wasm32-wasip1 program together
# with the test program in wasm/PoolTests, and runs that program under `wasmkit run`.
#
#   wasm/build.sh          build and run the tests (what `make wasm-test` calls)
#   wasm/build.sh build    build only; the program is wasm/build/PoolTests.wasm
#
# Exit status: 0 when every test passed, non-zero when a build step or a test failed. When the
# wasm toolchain itself cannot be had (no Embedded Swift stdlib for wasm32, no wasmkit, the
# Debian packages cannot be installed), it prints one `wasm-test: SKIPPED: <why>` line and exits 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/wasm/build"
MODE=${1:-test}

skip() {
    echo "wasm-test: SKIPPED: $*"
    exit 0
}

fail() {
    echo "wasm-test: FAILED: $*" >&2
    exit 1
}

# Where a step is slow enough to matter, say so.
step() { echo "wasm-test: $*"; }

# --- The Swift toolchain: swiftc, clang and wasmkit live side by side ---------------------------
SWIFTC_PATH=${SWIFTC:-$(command -v swiftc || true)}
[ -n "$SWIFTC_PATH" ] || skip "no swiftc on PATH"
TOOLBIN=$(dirname "$(readlink -f "$SWIFTC_PATH")")
SWIFTC="$TOOLBIN/swiftc"
CLANG="$TOOLBIN/clang"
WASMKIT="$TOOLBIN/wasmkit"
EMBEDDED_LIB="$TOOLBIN/../lib/swift/embedded"
[ -x "$CLANG" ] || skip "no clang in $TOOLBIN beside swiftc (the Swift toolchain ships one)"
[ -x "$TOOLBIN/wasm-ld" ] || skip "no wasm-ld in $TOOLBIN beside swiftc"
[ -x "$WASMKIT" ] || skip "no wasmkit in $TOOLBIN beside swiftc (Swift 6.2 and later ship it)"
[ -e "$EMBEDDED_LIB/Swift.swiftmodule/wasm32-unknown-none-wasm.swiftmodule" ] ||
    skip "this Swift toolchain has no Embedded Swift stdlib for wasm32-unknown-none-wasm"

# --- wasi-libc and compiler-rt builtins for wasm32, from Debian ---------------------------------
# Debian installs wasi-libc under the `wasm32-wasi` triple and compiler-rt's wasm32 builtins
# under /usr/lib/llvm-N. Any N works: only the builtins archive (128-bit arithmetic and the
# like) is taken from it.
find_builtins() {
    local archive
    for archive in /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a; do
        if [ -f "$archive" ]; then echo "$archive"; fi
    done | sort -V | tail -n 1
}

SUDO=""
apt_ready() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || return 1
        SUDO="sudo -n"
    fi
    # The lists may be absent or stale on a fresh machine; a failed update leaves the old ones.
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
}

missing=()
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
BUILTINS=$(find_builtins)
if [ ${#missing[@]} -gt 0 ] || [ -z "$BUILTINS" ]; then
    apt_ready || skip "wasi-libc or compiler-rt wasm32 builtins missing, and apt-get cannot be used here"
    if [ -z "$BUILTINS" ]; then
        # The version this build was first made with; Debian's unversioned name otherwise.
        if apt-cache show libclang-rt-19-dev-wasm32 >/dev/null 2>&1; then
            missing+=(libclang-rt-19-dev-wasm32)
        else
            missing+=(libclang-rt-dev-wasm32)
        fi
    fi
    step "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
        skip "apt-get could not install ${missing[*]}"
    [ -f /usr/lib/wasm32-wasi/libc.a ] || skip "wasi-libc is installed but /usr/lib/wasm32-wasi/libc.a is missing"
    BUILTINS=$(find_builtins)
    [ -n "$BUILTINS" ] || skip "no libclang_rt.builtins-wasm32.a after installing ${missing[*]}"
fi

# --- A sysroot of links: the toolchain's clang looks for the wasm32-wasip1 triple --------------
SYSROOT="$OUT/sysroot"
rm -rf "$OUT/obj" "$OUT/modules"
mkdir -p "$SYSROOT/include" "$SYSROOT/lib" "$OUT/obj" "$OUT/modules"
ln -sfn /usr/include/wasm32-wasi "$SYSROOT/include/wasm32-wasip1"
ln -sfn /usr/lib/wasm32-wasi "$SYSROOT/lib/wasm32-wasip1"

CFLAGS=(--target=wasm32-wasip1 "--sysroot=$SYSROOT" -std=c11 -O2 -Wall -Werror=implicit-function-declaration)

# Embedded Swift targets wasm32-unknown-none-wasm; its Clang importer still reads the C headers
# as wasi-libc's (hence __wasi__ and the wasi include folder). -disable-stack-protector: swiftc
# would otherwise emit checks that call __stack_chk_guard/__stack_chk_fail, which wasi-libc lacks.
SWIFTFLAGS=(
    -target wasm32-unknown-none-wasm
    -enable-experimental-feature Embedded
    -swift-version 6
    -package-name scheduler_core
    -wmo -Osize
    -Xfrontend -disable-stack-protector
    -Xcc -D__wasi__
    -Xcc -isystem -Xcc "$SYSROOT/include/wasm32-wasip1"
)

# --- The C allocator --------------------------------------------------------------------------
ALLOC_DIR="$ROOT/CSources/CSchedulerAllocator"
ALLOC_INCLUDE="$ALLOC_DIR/include"
[ -f "$ALLOC_INCLUDE/CSchedulerAllocator.h" ] || fail "missing $ALLOC_INCLUDE/CSchedulerAllocator.h"
# SwiftPM synthesises the module map from the umbrella header; do the same when there is none.
if [ -f "$ALLOC_INCLUDE/module.modulemap" ]; then
    ALLOC_MODULEMAP_DIR="$ALLOC_INCLUDE"
else
    ALLOC_MODULEMAP_DIR="$OUT/modules/CSchedulerAllocator"
    mkdir -p "$ALLOC_MODULEMAP_DIR"
    cat >"$ALLOC_MODULEMAP_DIR/module.modulemap" <<EOF
module CSchedulerAllocator {
    umbrella header "$ALLOC_INCLUDE/CSchedulerAllocator.h"
    export *
}
EOF
fi

OBJS=()
# compile_c FOLDER PREFIX: every .c file of a C target, in subfolders too as SwiftPM does
# (headers in FOLDER/include), to wasm32.
compile_c() {
    local src obj
    while IFS= read -r src; do
        obj="$OUT/obj/$2-$(echo "${src#"$1"/}" | sed 's/\.c$//' | tr / -).o"
        "$CLANG" "${CFLAGS[@]}" -I "$1/include" -c "$src" -o "$obj" ||
            fail "clang could not compile $src for wasm32-wasip1"
        OBJS+=("$obj")
    done < <(find "$1" -name '*.c' | sort)
}

step "compiling CSources/CSchedulerAllocator for wasm32-wasip1"
compile_c "$ALLOC_DIR" alloc
SUPPORT_DIR="$ROOT/wasm/Support/CWasmTestSupport"
compile_c "$SUPPORT_DIR" support

# --- SchedulerPool as an Embedded Swift module ------------------------------------------------
# Every .swift file below the folder, as SwiftPM takes them; code that cannot be Embedded Swift
# (the durable storage) sits inside `#if !hasFeature(Embedded)` in the sources themselves.
# Files listed in wasm/excluded-sources.txt (a path relative to Sources/SchedulerPool, then
# the reason, one a line) stay out of the wasm32 build; each is named in the output.
POOL_DIR="$ROOT/Sources/SchedulerPool"
EXCLUDES="$ROOT/wasm/excluded-sources.txt"
POOL_SOURCES=()
while IFS= read -r src; do
    name=${src#"$POOL_DIR"/}
    reason=""
    [ -f "$EXCLUDES" ] && reason=$(awk -v name="$name" '$1 == name' "$EXCLUDES")
    if [ -n "$reason" ]; then
        echo "wasm-test: not built for wasm32: Sources/SchedulerPool/$reason"
        continue
    fi
    POOL_SOURCES+=("$src")
done < <(find "$POOL_DIR" -name '*.swift' | sort)
[ ${#POOL_SOURCES[@]} -gt 0 ] || fail "no Swift sources in $POOL_DIR"

# WASI preview 1 has no threads: the pool's FutexMutex (Sources/SchedulerPool/FutexMutex.swift)
# compiles there to a word that is only set and cleared (cschedlock.h), so no stand-in is needed.
step "compiling Sources/SchedulerPool (${#POOL_SOURCES[@]} files) as Embedded Swift for wasm32"
"$SWIFTC" "${SWIFTFLAGS[@]}" \
    -parse-as-library -module-name SchedulerPool \
    -I "$ALLOC_MODULEMAP_DIR" -I "$ALLOC_INCLUDE" \
    -emit-module -emit-module-path "$OUT/modules/SchedulerPool.swiftmodule" \
    -c "${POOL_SOURCES[@]}" -o "$OUT/obj/SchedulerPool.o" ||
    fail "swiftc could not compile Sources/SchedulerPool as Embedded Swift for wasm32 (see the errors above)"
OBJS+=("$OUT/obj/SchedulerPool.o")

step "compiling wasm/PoolTests"
"$SWIFTC" "${SWIFTFLAGS[@]}" \
    -module-name PoolTests \
    -I "$OUT/modules" -I "$ALLOC_MODULEMAP_DIR" -I "$ALLOC_INCLUDE" -I "$SUPPORT_DIR/include" \
    -c "$ROOT"/wasm/PoolTests/*.swift -o "$OUT/obj/PoolTests.o" ||
    fail "swiftc could not compile wasm/PoolTests"
OBJS+=("$OUT/obj/PoolTests.o")

# --- Link: wasi-libc's crt1 and libc, compiler-rt builtins, the Unicode tables of the stdlib ----
step "linking wasm/build/PoolTests.wasm"
"$CLANG" --target=wasm32-wasip1 "--sysroot=$SYSROOT" -nodefaultlibs \
    -Wl,-z,stack-size=1048576 \
    "${OBJS[@]}" -lc "$BUILTINS" \
    "$EMBEDDED_LIB/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a" \
    -o "$OUT/PoolTests.wasm" ||
    fail "wasm-ld could not link wasm/build/PoolTests.wasm"

[ "$MODE" = build ] && exit 0

step "running wasm/build/PoolTests.wasm under wasmkit"
status=0
"$WASMKIT" run "$OUT/PoolTests.wasm" || status=$?
[ "$status" = 0 ] || fail "wasm/build/PoolTests.wasm exited with status $status"
