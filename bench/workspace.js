// Bench workspaces: a temporary folder holding the repo's sample segments, templates and mkt.yaml,
// a providers.yaml written for the bench, and a store of N seeded customers who can all receive
// email (so that an N-customer store gives an N-recipient campaign). Seeding a million customers
// takes a while, so each size is seeded once into bench/tmp/ and copied from there.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../dist/db/open.js';
import { sqliteRepositories } from '../dist/db/sqlite-repositories.js';
import { seedCustomers } from '../dist/customers/seed.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TMP = path.join(ROOT, 'bench', 'tmp');
const SEED_NOW = new Date('2026-01-15T12:00:00Z');

/** `MKT_BENCH_SCALE` (default 1) scales every size down for quick runs; never below `min`. */
export function scaled(size, min = 1) {
  const scale = Number(process.env.MKT_BENCH_SCALE ?? 1);
  return Math.max(min, Math.round(size * scale));
}

// The cache is keyed by what decides its content: the seed code and the migrations.
function cacheKey() {
  const h = createHash('sha256');
  for (const f of ['dist/customers/seed.js', 'dist/customers/seed-data.js']) h.update(readFileSync(path.join(ROOT, f)));
  h.update(readdirSync(path.join(ROOT, 'drizzle')).join(','));
  return h.digest('hex').slice(0, 10);
}

/** A seeded store file with `count` customers, every one with an email address and email consent. */
function seededFile(count) {
  mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `seeded-${count}-${cacheKey()}.db`);
  if (existsSync(file)) return file;
  const part = `${file}.${process.pid}.part`;
  for (const f of [part, `${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
  const store = openStore(part);
  seedCustomers(store, { count, seed: 1, now: SEED_NOW });
  // the seed gives ~54% email recipients; the benches want the list size they name
  store.sqlite.exec(`UPDATE customers SET email = coalesce(email, 'customer' || id || '@bench.example'), email_opt_in = 1`);
  store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  rmSync(`${part}-wal`, { force: true });
  rmSync(`${part}-shm`, { force: true });
  renameSync(part, file);
  return file;
}

/**
 * A fresh workspace with `providers` (the providers.yaml text) and a store of `customers`
 * seeded customers. `env` carries the unsubscribe signing key mkt.yaml asks for, plus `extraEnv`.
 */
export function benchWorkspace({ providers, customers, extraEnv = {} }) {
  mkdirSync(TMP, { recursive: true });
  const dir = mkdtempSync(path.join(TMP, 'ws-'));
  for (const entry of ['segments', 'templates', 'mkt.yaml']) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  writeFileSync(path.join(dir, 'providers.yaml'), providers);
  const db = path.join(dir, '.mkt', 'mkt.db');
  mkdirSync(path.dirname(db), { recursive: true });
  cpSync(seededFile(customers), db);
  const env = { ...process.env, MKT_UNSUBSCRIBE_SECRET: randomBytes(32).toString('hex'), ...extraEnv };
  return {
    dir,
    db,
    env,
    open() {
      const store = openStore(db);
      return { store, deps: { repos: sqliteRepositories(store), store, workspace: dir, env, now: Date.now } };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
