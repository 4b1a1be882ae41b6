#!/usr/bin/env bash
# Make sure the PostgreSQL server on 127.0.0.1:5432 answers; start the local cluster if it is stopped.
# Fails loudly: a skipped PostgreSQL pass is a failed test run.
set -euo pipefail
HOST=${PGHOST_TEST:-127.0.0.1}
PORT=${PGPORT_TEST:-5432}

ready() { pg_isready -q -h "$HOST" -p "$PORT" -U postgres -d test 2>/dev/null; }

if ready; then exit 0; fi
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "PostgreSQL not answering on $HOST:$PORT; starting cluster $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "ERROR: PostgreSQL is not reachable on $HOST:$PORT (database test, trust auth); the PostgreSQL test pass cannot run" >&2
exit 1
