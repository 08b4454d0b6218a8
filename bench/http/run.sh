#!/usr/bin/env bash
# Builds and runs the parser benchmark (release flags: swiftc -O -wmo, clang -O3). llhttp's C
# sources come from Debian's node-llhttp package (installed with apt where missing), compiled here
# from /usr/share/llhttp; nothing of it is kept in the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.build-bench-http
mkdir -p "$OUT"
if [ ! -f /usr/share/llhttp/llhttp.c ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq node-llhttp >/dev/null
fi
[ -d .build/checkouts/swift-http-types ] || swift package resolve >/dev/null
HT=.build/checkouts/swift-http-types/Sources/HTTPTypes
MACROS=()
for v in 1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8; do
  MACROS+=(-enable-experimental-feature "AvailabilityMacro=HTTPTypes $v: macOS 10.0")
done
echo "bench/http: building llhttp $(grep -m1 -o 'LLHTTP_VERSION_MAJOR [0-9]*' /usr/share/include/llhttp/llhttp.h | cut -d' ' -f2).x (clang -O3), HTTPTypes and the parser (swiftc -O -wmo)"
for f in llhttp api http; do clang -O3 -c -I/usr/share/include/llhttp /usr/share/llhttp/$f.c -o "$OUT/llhttp-$f.o"; done
clang -O3 -c -I/usr/share/include/llhttp bench/http/llhttp_bench.c -o "$OUT/llhttp_bench.o"
swiftc -O -wmo -parse-as-library -module-name HTTPTypes -emit-module -emit-module-path "$OUT/HTTPTypes.swiftmodule" \
  -emit-library -static -o "$OUT/libHTTPTypes.a" "${MACROS[@]}" \
  -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature MemberImportVisibility "$HT"/*.swift
swiftc -O -wmo -parse-as-library -module-name ParserBenchmark -I "$OUT" -L "$OUT" -lHTTPTypes \
  Sources/SchedulerHTTP/Parser/*.swift bench/http/ParserBenchmark.swift "$OUT"/*.o -o "$OUT/parser-bench"
[ "${BENCH_BUILD_ONLY:-}" ] || taskset -c 0 "$OUT/parser-bench" "$@" 2>/dev/null || "$OUT/parser-bench" "$@"
