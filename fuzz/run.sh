#!/usr/bin/env bash
# Builds the HTTP parser's libFuzzer target and runs it for FUZZ_SECONDS (default 60).
# swift-http-types is compiled from the package's checkout as its own module; the parser's
# sources and fuzz/FuzzParser.swift are compiled with -sanitize=fuzzer,address, its C fast path with
# clang's -fsanitize=fuzzer-no-link,address.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-60}}"
OUT=.build-fuzz
mkdir -p "$OUT/work-corpus"
[ -d .build/checkouts/swift-http-types ] || swift package resolve >/dev/null
HT=.build/checkouts/swift-http-types/Sources/HTTPTypes
MACROS=()
for v in 1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8; do
  MACROS+=(-enable-experimental-feature "AvailabilityMacro=HTTPTypes $v: macOS 10.0")
done
if [ ! -f "$OUT/HTTPTypes.swiftmodule" ] || [ "$(find "$HT" -newer "$OUT/HTTPTypes.swiftmodule" | head -1)" ]; then
  echo "fuzz: building HTTPTypes"
  swiftc -O -parse-as-library -module-name HTTPTypes -emit-module -emit-module-path "$OUT/HTTPTypes.swiftmodule" \
    -emit-library -static -o "$OUT/libHTTPTypes.a" "${MACROS[@]}" \
    -enable-upcoming-feature InternalImportsByDefault -enable-upcoming-feature MemberImportVisibility \
    -sanitize=fuzzer,address -parse-as-library "$HT"/*.swift
fi
echo "fuzz: building the parser fuzzer"
# The parser's C fast path (CSchedulerHTTPScan), instrumented too, imported through a module map.
SCAN=CSources/CSchedulerHTTPScan
mkdir -p "$OUT/CSchedulerHTTPScan"
printf 'module CSchedulerHTTPScan {\n  header "%s"\n  export *\n}\n' "$PWD/$SCAN/include/CSchedulerHTTPScan.h" \
  > "$OUT/CSchedulerHTTPScan/module.modulemap"
for c in "$SCAN"/*.c; do
  clang -O2 -fsanitize=fuzzer-no-link,address -I "$SCAN/include" -c "$c" -o "$OUT/$(basename "$c" .c).o"
done
swiftc -O -parse-as-library -module-name SchedulerHTTPFuzz -sanitize=fuzzer,address -I "$OUT" -L "$OUT" -lHTTPTypes \
  -I "$OUT/CSchedulerHTTPScan" Sources/SchedulerHTTP/Parser/*.swift fuzz/FuzzParser.swift "$OUT"/field_lines.o "$OUT"/head.o \
  -o "$OUT/http-parser-fuzzer"
echo "fuzz: running for ${SECONDS_TO_RUN}s (seeds in fuzz/corpus, findings in $OUT)"
"$OUT/http-parser-fuzzer" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -dict=fuzz/http.dict \
  -artifact_prefix="$OUT/" -print_final_stats=1 "$OUT/work-corpus" fuzz/corpus
