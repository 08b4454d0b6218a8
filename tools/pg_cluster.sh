#!/bin/bash
# A throwaway PostgreSQL cluster for the shared-pool tests and bench-shared, on a loopback port.
#   tools/pg_cluster.sh start DIR PORT   initdb in DIR (as the postgres user when run as root: the
#                                        server refuses root), start with fsync and
#                                        synchronous_commit on, listen on 127.0.0.1:PORT only,
#                                        create database ippool (trust on loopback for postgres) and
#                                        ipam_auth, owned by role ipam that must log in with the
#                                        password ipam-test-password (scram); prints the first URL.
#   tools/pg_cluster.sh stop DIR         stop the server (fast shutdown) and remove DIR.
#   tools/pg_cluster.sh restart DIR      stop (fast: every session is cut) and start again, same data.
set -euo pipefail
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$BIN/pg_ctl" ] || { echo "pg_cluster: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 2; }
cmd=$1; dir=$2
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
start)
  port=$3
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 200
shared_buffers = 64MB
CONF
  cat >"$dir/data/pg_hba.conf" <<HBA
local all all trust
host all ipam 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
  as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE ippool" >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt \
    -c "CREATE ROLE ipam LOGIN PASSWORD 'ipam-test-password'" -c "CREATE DATABASE ipam_auth OWNER ipam" >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port/ippool"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
restart)
  as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
  ;;
*) echo "usage: pg_cluster.sh start DIR PORT | stop DIR | restart DIR" >&2; exit 2 ;;
esac
