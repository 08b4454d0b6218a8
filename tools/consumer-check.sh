#!/usr/bin/env bash
# consumer-check: builds a throwaway package that depends on this repository the way a user's does,
# by URL and version, and runs a tiny program on it. Fails when
#   - the dependency does not build (unsafe flags in a library target, a missing file, ...),
#   - the user's build resolves or checks out a package only this repository's examples, tests,
#     benchmarks or docs need (swift-argument-parser, swift-docc-plugin, ...).
# The clone is of HEAD (committed work only), tagged 0.1.0 in a temporary folder.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SWIFT="${SWIFT:-swift}"
# Packages a user of SchedulerCore must never resolve.
FORBIDDEN="swift-argument-parser swift-docc-plugin swift-docc-symbolkit"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/scheduler-core-consumer.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
CLONE="$WORK/scheduler-core"
CONSUMER="$WORK/consumer"

echo "consumer-check: cloning HEAD ($(git -C "$ROOT" rev-parse --short HEAD)) to $CLONE, tag 0.1.0"
git init -q "$CLONE"
git -C "$CLONE" fetch -q "$ROOT" HEAD
git -C "$CLONE" checkout -q -b main FETCH_HEAD
git -C "$CLONE" tag 0.1.0

# The user package is the README's "Use it in your package" example (tools/consumer/, compared
# with the README by `make readme-check`), with the URL pointed at the tagged clone.
cp -R "$ROOT/tools/consumer" "$CONSUMER"
sed -i "s|https://github.com/your-org/scheduler-core.git|file://$CLONE|" "$CONSUMER/Package.swift"
grep -q "file://$CLONE" "$CONSUMER/Package.swift" || { echo "consumer-check: FAIL: no URL to replace in tools/consumer/Package.swift"; exit 1; }

echo "consumer-check: swift build in $CONSUMER"
# The environment variable that turns on this repository's documentation dependency must not
# leak into the user's build from ours.
unset SCHEDULER_CORE_DOCS
(cd "$CONSUMER" && "$SWIFT" build -q)
output="$(cd "$CONSUMER" && "$SWIFT" run -q MyService)"
echo "$output"
case "$output" in
    "tenant-a/web holds 127.77.0.1; sockets use "*) ;;
    *) echo "consumer-check: FAIL: MyService printed something else"; exit 1 ;;
esac

status=0
for name in $FORBIDDEN; do
    if grep -qi "$name" "$CONSUMER/Package.resolved" 2>/dev/null; then
        echo "consumer-check: FAIL: the user's Package.resolved lists $name"
        status=1
    fi
    if ls "$CONSUMER/.build/checkouts" 2>/dev/null | grep -qi "^$name$"; then
        echo "consumer-check: FAIL: the user's build checked out $name"
        status=1
    fi
done
echo "consumer-check: the user's build resolved: $(ls "$CONSUMER/.build/checkouts" | tr '\n' ' ')"
if [ "$status" = 0 ]; then echo "consumer-check: OK"; fi
exit "$status"
