#!/usr/bin/env bash
# Brings up the local PostgreSQL for the store tests and prints the connection URL on stdout.
# Idempotent: starts Debian's cluster only if it is down, creates the role and database only if
# they are missing. The role gets CREATEDB so that each test file can make (and drop) a database
# of its own, and test files running in parallel never share tables, and CREATEROLE so that the
# least-privilege test (test/e2e/db-store.test.ts) can make the runtime role README documents.
# The password is for a throwaway local test role, never a real one: MKT_TEST_PG_PASSWORD
# overrides it.
set -euo pipefail
VERSION="${MKT_TEST_PG_VERSION:-15}"
CLUSTER="${MKT_TEST_PG_CLUSTER:-main}"
ROLE=mkt_test
DB=mkt_test
PASSWORD="${MKT_TEST_PG_PASSWORD:-mkt_test_only_password}"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "pg-test-setup: pg_ctlcluster not found (is Debian's postgresql-$VERSION installed?)" >&2
  exit 69
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"

# The password travels in the environment (su keeps it) into a psql variable that psql quotes
# (%L), never spliced into SQL text.
export MKT_PW="$PASSWORD"
(cd / && su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -p $PORT -v pw=\"\$MKT_PW\" -d postgres" <<'SQL') >&2
SELECT format('CREATE ROLE mkt_test LOGIN CREATEDB CREATEROLE PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mkt_test') \gexec
SELECT format('ALTER ROLE mkt_test LOGIN CREATEDB CREATEROLE PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE mkt_test OWNER mkt_test' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mkt_test') \gexec
SQL

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
