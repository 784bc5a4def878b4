// A PostgreSQL database of a bench's own: created on the server MKT_BENCH_PG_URL names (else
// MKT_TEST_PG_URL, scripts/pg-test-setup.sh) and dropped after. Shared by pg.bench.js and the
// PostgreSQL part of send.bench.js; without a server it says why instead.
import pg from 'pg';

export const BASE_URL = process.env.MKT_BENCH_PG_URL ?? process.env.MKT_TEST_PG_URL ?? 'postgres://mkt_test:mkt_test_only_password@127.0.0.1:5432/mkt_test';

/** `{ url, drop }` for a fresh database, or `{ why }` when no server answers. */
export async function benchDatabase() {
  const admin = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    await admin.end().catch(() => {});
    return { why: `no PostgreSQL server answers (${e.message || e.code}); set MKT_BENCH_PG_URL or run scripts/pg-test-setup.sh` };
  }
  const name = `mkt_bench_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    // an autovacuum worker still on the database cannot be terminated by a non-superuser: wait for it
    for (let i = 0; ; i++) {
      try {
        return await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch (e) {
        if (i >= 30) throw e;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };
  return { url: url.toString(), drop: () => drop().finally(() => admin.end()) };
}
