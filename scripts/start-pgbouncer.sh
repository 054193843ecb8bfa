#!/usr/bin/env bash
# Starts a private PgBouncer in transaction pooling mode in front of a PostgreSQL server, for CI
# (.ci/run) and for trying Rollcall behind a pooler by hand:
#
#   scripts/start-pgbouncer.sh DIR PORT [SERVER_HOST] [SERVER_PORT]
#
# DIR holds its configuration, log and pid file (made if missing); every database of the server is
# reachable through it by name, with trust authentication for the users postgres and root (as the
# server on this machine). Prints the URL of the `test` database through it. Stop it with
# `kill "$(cat DIR/pgbouncer.pid)"`. Debian's package (apt-get install pgbouncer) is 1.18: no
# prepared statements in transaction mode, which is what ROLLCALL_DB_POOLER=transaction is for.
set -euo pipefail
dir=$1
port=$2
server_host=${3:-127.0.0.1}
server_port=${4:-5432}
bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [ ! -x "$bin" ]; then
  echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2
  exit 1
fi
mkdir -p "$dir"
cat > "$dir/userlist.txt" <<EOF
"postgres" ""
"root" ""
EOF
cat > "$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$server_host port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
; Each test file's database is its own pool; the server allows 100 connections in all.
default_pool_size = 16
max_db_connections = 20
max_client_conn = 4000
server_idle_timeout = 30
; Keep each test database's counters after it is dropped, for .ci/run's check.
autodb_idle_timeout = 86400
ignore_startup_parameters = extra_float_digits
admin_users = postgres
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
# PgBouncer refuses to run as root.
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$dir"
  runuser -u postgres -- "$bin" -d "$dir/pgbouncer.ini"
else
  "$bin" -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 1 50); do
  if psql "postgres://postgres@127.0.0.1:$port/test" -Atc 'select 1' >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$port/test"
    exit 0
  fi
  sleep 0.1
done
echo "pgbouncer did not answer on port $port; its log:" >&2
cat "$dir/pgbouncer.log" >&2 || true
exit 1
