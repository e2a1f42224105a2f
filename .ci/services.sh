# Sourced by .ci/run: starts a PostgreSQL cluster on a loopback port for the tests
# and exports WRIT_PG_URL. Tests that must stop and restart a database start their
# own throwaway cluster (test/support/pg-cluster.ts).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_root=$(mktemp -d /tmp/writ-ci-pg.XXXXXX)
chmod 755 "$pg_root"
as_pg() { if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pg_root"; runuser -u postgres -- "$@"; else "$@"; fi; }
pg_port=55432
while (echo > /dev/tcp/127.0.0.1/$pg_port) 2>/dev/null; do pg_port=$((pg_port + 1)); done
as_pg "$pg_bin/initdb" -D "$pg_root/data" -U writ --auth=trust -E UTF8 > "$pg_root/initdb.log" 2>&1 || { cat "$pg_root/initdb.log"; return 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/log" -w -t 60 \
  -o "-p $pg_port -k $pg_root -c listen_addresses=127.0.0.1 -c max_connections=300" start > /dev/null || { cat "$pg_root/log"; return 1; }
export WRIT_PG_URL="postgres://writ@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL on 127.0.0.1:$pg_port"

# Stop what was started here when the CI run ends, however it ends: the cluster and
# its folder. .ci/run may call writ_stop_services itself; a second call does nothing.
writ_stop_services() {
  [ -n "${pg_root:-}" ] && [ -d "$pg_root/data" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_root/data" -m fast -w -t 60 stop > /dev/null 2>&1 || true
  rm -rf "$pg_root"
}
trap writ_stop_services EXIT
