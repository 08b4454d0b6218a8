#!/bin/bash
# The ippool command on both kinds of pool: every command, tables and --json, and for every error
# one line on stderr and its exit status. The database password given in the URL or in a file
# must never appear in any output. Usage: tools/ippool_cli_test.sh IPPOOL_BINARY DATABASE_URL
set -u
BIN=$1; URL=$2
SECRET=cli-s3cret-$$
# The same URL with a password in it (the throwaway cluster trusts loopback, so it is ignored).
URL_WITH_SECRET=$(echo "$URL" | sed "s#://\([^@/]*\)@#://\1:$SECRET@#")
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "$SECRET" > "$TMP/password"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS STDOUT_PATTERN STDERR_PATTERN -- ippool arguments... (an empty pattern: nothing printed)
expect() {
  local status=$1 out=$2 err=$3; shift 4
  "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  [ "$got" = "$status" ] || fail "ippool $* exited $got, expected $status: $(cat "$TMP/err")"
  if [ -z "$out" ]; then
    [ ! -s "$TMP/out" ] || fail "ippool $*: stdout not empty: $(cat "$TMP/out")"
  else
    grep -qE -- "$out" "$TMP/out" || fail "ippool $*: stdout lacks /$out/: $(cat "$TMP/out")"
  fi
  if [ "$status" = 0 ]; then
    [ ! -s "$TMP/err" ] || fail "ippool $*: stderr not empty: $(cat "$TMP/err")"
  else
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "ippool $*: stderr is not one line: $(cat "$TMP/err")"
    grep -qE -- "$err" "$TMP/err" || fail "ippool $*: stderr lacks /$err/: $(cat "$TMP/err")"
  fi
  if grep -q "$SECRET" "$TMP/out" "$TMP/err"; then fail "ippool $*: the password was printed"; fi
}

for kind in dir database; do
  pool=cli-$kind-$$
  if [ $kind = dir ]; then loc=(--dir "$TMP/pools"); else loc=(--database "$URL_WITH_SECRET"); fi
  echo "-- ippool on a $kind pool"
  expect 0 "ready" "" -- create "${loc[@]}" --pool $pool
  expect 0 "10.60.0.0/29" "" -- add-range "${loc[@]}" --pool $pool 10.60.0.0/29
  expect 1 "" "overlaps range 10.60.0.0/29" -- add-range "${loc[@]}" --pool $pool 10.60.0.0/28
  expect 1 "" "malformed range" -- add-range "${loc[@]}" --pool $pool 10.60.0.1/29
  expect 0 "10.60.0.1 +t1 +eth0 +vm\(web\)" "" -- allocate "${loc[@]}" --pool $pool --subinstance t1 --resource eth0 --type vm:web
  expect 0 "10.60.0.1 +t1" "" -- allocate "${loc[@]}" --pool $pool --subinstance t1 --resource eth0
  expect 0 '"ip" : "10.60.0.5"' "" -- allocate "${loc[@]}" --pool $pool --subinstance t2 --resource eth0 --type custom:sock --ip 10.60.0.5 --json
  expect 1 "" "is held by subinstance \"t2\"" -- allocate "${loc[@]}" --pool $pool --subinstance t3 --resource eth0 --ip 10.60.0.5
  expect 1 "" "outside every range" -- allocate "${loc[@]}" --pool $pool --subinstance t3 --resource eth0 --ip 10.61.0.5
  expect 64 "" "--type must be" -- allocate "${loc[@]}" --pool $pool --subinstance t3 --resource eth0 --type bogus
  expect 64 "" "not an IPv4 or IPv6 address" -- show "${loc[@]}" --pool $pool 10.60.0
  expect 0 "10.60.0.5 +t2 +eth0 +custom\(sock\)" "" -- show "${loc[@]}" --pool $pool 10.60.0.5
  expect 1 "" "10.60.0.6 is not allocated" -- show "${loc[@]}" --pool $pool 10.60.0.6
  expect 0 "10.60.0.5" "" -- list "${loc[@]}" --pool $pool
  expect 0 "^\[$" "" -- list "${loc[@]}" --pool $pool --subinstance t1 --json
  expect 0 "10.60.0.0/29 +6 +2 +4" "" -- stats "${loc[@]}" --pool $pool
  expect 0 '"allocated" : "2"' "" -- stats "${loc[@]}" --pool $pool --json
  # Fill the range: 4 left, then exhausted.
  for i in 1 2 3 4; do expect 0 "10.60.0" "" -- allocate "${loc[@]}" --pool $pool --subinstance f$i --resource r; done
  expect 1 "" "is exhausted" -- allocate "${loc[@]}" --pool $pool --subinstance f5 --resource r
  printf 't1\n# comment\n\nf1\n' > "$TMP/live"
  expect 0 "released 4" "" -- reconcile "${loc[@]}" --pool $pool --live-file "$TMP/live"
  expect 2 "" "cannot read live file" -- reconcile "${loc[@]}" --pool $pool --live-file "$TMP/missing"
  expect 0 "10.60.0.1 +t1" "" -- release "${loc[@]}" --pool $pool --subinstance t1 --resource eth0
  expect 1 "" "no binding for subinstance \"t1\"" -- release "${loc[@]}" --pool $pool --subinstance t1 --resource eth0
  expect 1 "" "not allocated" -- release "${loc[@]}" --pool $pool --ip 10.60.0.3
  expect 64 "" "give --subinstance S --resource R, or --ip IP" -- release "${loc[@]}" --pool $pool --subinstance t1
  expect 1 "" "no (shared )?pool (named )?\"nope" -- list "${loc[@]}" --pool nope
done
echo "-- errors of the database itself"
expect 0 "ready" "" -- create --database "$URL" --password-file "$TMP/password" --pool pw-$$
expect 64 "" "exactly one of --dir" -- list --pool x
expect 64 "" "exactly one of --dir" -- list --pool x --dir "$TMP" --database "$URL"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect 3 "" "cannot connect to postgresql://u:\*\*\*@127.0.0.1:$port/x" -- list --database "postgresql://u:$SECRET@127.0.0.1:$port/x" --pool p
expect 3 "" "cannot connect to postgresql://u@127.0.0.1:$port/x" -- list --database "postgresql://u@127.0.0.1:$port/x" --password-file "$TMP/password" --pool p
# Role ipam must log in with its password (tools/pg_cluster.sh): a wrong one from a file is refused
# (exit 3) without being printed; the right one from a file or from PGPASSWORD works.
URL_AUTH=$(echo "$URL" | sed "s#://postgres@#://ipam@#; s#/ippool\$#/ipam_auth#")
expect 3 "" "password authentication failed" -- list --database "$URL_AUTH" --password-file "$TMP/password" --pool p
echo ipam-test-password > "$TMP/good"
expect 0 "ready" "" -- create --database "$URL_AUTH" --password-file "$TMP/good" --pool auth-$$
PGPASSWORD=ipam-test-password expect 0 "TOTAL" "" -- stats --database "$URL_AUTH" --pool auth-$$
expect 2 "" "cannot read password file" -- list --database "$URL" --password-file "$TMP/none" --pool p
if [ $failures -gt 0 ]; then echo "ippool CLI: $failures failure(s)"; exit 1; fi
echo "ippool CLI: all checks passed"
