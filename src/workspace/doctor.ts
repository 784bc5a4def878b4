/**
 * `mkt doctor`: every check a workspace needs before a send, in one report, each failure with
 * the step that fixes it. Reads only: it never creates the database or any other file.
 * Environment variables are reported by name; their values are never read into the report.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadSettings, SETTINGS_FILE } from '../compliance/config.js';
import { checkIntegrity } from '../db/maintenance.js';
import type { DbTarget } from '../db/target.js';
import { MktError } from '../errors.js';
import { envNames } from './secrets.js';
import { listProviders, loadProviders, PROVIDERS_FILE, type ProviderSummary } from '../providers/load.js';
import { checkProvider } from '../providers/operations.js';
import { formatIssue } from '../segments/parse.js';
import { validateSegments } from '../segments/index.js';
import { formatDiagnostic } from '../templates/diagnostics.js';
import { validateTemplates } from '../templates/index.js';

export interface DoctorCheck {
  /** Stable id for scripts: `files.providers`, `env`, `db.integrity`, `provider.<name>` … */
  id: string;
  title: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  workspace: string;
  /** which store --db / MKT_DB names */
  store: DbTarget['kind'];
  /** the SQLite file, or the connection string with its password replaced by *** */
  database: string;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  workspace: string;
  /** the store to check (default: the SQLite file dbPath) */
  store?: DbTarget;
  /** the store as it may be shown: the file, or the redacted URL */
  dbPath: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

const ok = (id: string, title: string, detail: string): DoctorCheck => ({ id, title, status: 'ok', detail });
const skip = (id: string, title: string, detail: string): DoctorCheck => ({ id, title, status: 'skip', detail });
const fail = (id: string, title: string, detail: string, fix: string): DoctorCheck => ({ id, title, status: 'fail', detail, fix });

/** A thrown error as a failed check: its message, and its hint as the fix. */
function failed(id: string, title: string, error: unknown, fallbackFix: string): DoctorCheck {
  if (error instanceof MktError) return fail(id, title, error.message, error.hint ?? fallbackFix);
  return fail(id, title, error instanceof Error ? error.message : String(error), fallbackFix);
}

/** A missing variable is the environment check's finding, not a fault of the file. */
const onlyEnvMissing = (e: unknown) => e instanceof MktError && e.code === 'env_missing';

async function providersFile(o: DoctorOptions): Promise<{ check: DoctorCheck; summaries?: ProviderSummary[] }> {
  const title = PROVIDERS_FILE;
  if (!existsSync(path.join(o.workspace, PROVIDERS_FILE))) {
    return { check: fail('files.providers', title, `no ${PROVIDERS_FILE} in ${o.workspace}`, 'run `mkt init` here, or pass --workspace <dir>') };
  }
  try {
    const summaries = await listProviders(o.workspace);
    try {
      await loadProviders(o.workspace, o.env);
    } catch (e) {
      if (!onlyEnvMissing(e)) return { check: failed('files.providers', title, e, 'see README "Providers"'), summaries };
    }
    return { check: ok('files.providers', title, `${summaries.length} provider${summaries.length === 1 ? '' : 's'} valid`), summaries };
  } catch (e) {
    return { check: failed('files.providers', title, e, 'see README "Providers"') };
  }
}

async function settingsFile(o: DoctorOptions): Promise<DoctorCheck> {
  if (!existsSync(path.join(o.workspace, SETTINGS_FILE))) return skip('files.settings', SETTINGS_FILE, `no ${SETTINGS_FILE} (optional)`);
  try {
    await loadSettings(o.workspace, o.env);
    return ok('files.settings', SETTINGS_FILE, 'valid');
  } catch (e) {
    if (onlyEnvMissing(e)) return ok('files.settings', SETTINGS_FILE, 'valid (apart from unset environment variables)');
    return failed('files.settings', SETTINGS_FILE, e, 'see README "Compliance"');
  }
}

async function segments(o: DoctorOptions): Promise<DoctorCheck> {
  let r;
  try {
    r = await validateSegments(o.workspace);
  } catch (e) {
    return failed('files.segments', 'segments', e, 'run `mkt segment validate`');
  }
  if (r.segments.length === 0) return skip('files.segments', 'segments', 'no segments yet');
  const bad = r.segments.filter((s) => !s.ok);
  if (bad.length === 0) return ok('files.segments', 'segments', `${r.segments.length} valid`);
  const issues = bad.flatMap((s) => s.issues.map(formatIssue));
  return fail('files.segments', 'segments', `${bad.length} of ${r.segments.length} invalid: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? ' …' : ''}`, 'fix the named lines; `mkt segment validate` lists every problem');
}

async function templates(o: DoctorOptions): Promise<DoctorCheck> {
  try {
    const r = await validateTemplates(o.workspace);
    if (r.checked.length === 0) return skip('files.templates', 'templates', 'no templates yet');
    if (r.errors.length === 0) return ok('files.templates', 'templates', `${r.checked.length} valid${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}: \`mkt template validate\`)` : ''}`);
    const lines = r.errors.map(formatDiagnostic);
    return fail('files.templates', 'templates', `${lines.length} error${lines.length === 1 ? '' : 's'}: ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? ' …' : ''}`, 'fix the named lines; `mkt template validate` lists every problem');
  } catch (e) {
    return failed('files.templates', 'templates', e, 'run `mkt template validate`');
  }
}

/** `${NAME}` references in mkt.yaml's values (comments are not values, so they do not count). */
function settingsEnvNames(workspace: string): Set<string> {
  try {
    return envNames(parse(readFileSync(path.join(workspace, SETTINGS_FILE), 'utf8')));
  } catch {
    return new Set(); // missing or unparsable: the file check reports it
  }
}

function environment(o: DoctorOptions, summaries: ProviderSummary[] | undefined): DoctorCheck {
  const users = new Map<string, string[]>();
  const use = (name: string, where: string) => users.set(name, [...(users.get(name) ?? []), where]);
  for (const s of summaries ?? []) for (const n of s.env) use(n, `${PROVIDERS_FILE}: ${s.name}`);
  for (const n of settingsEnvNames(o.workspace)) use(n, SETTINGS_FILE);
  if (users.size === 0) return ok('env', 'environment', 'no ${ENV} references');
  // names only: a value is looked at for being set, never copied into the report
  const missing = [...users.keys()].filter((n) => o.env[n] === undefined || o.env[n] === '').sort();
  if (missing.length === 0) return ok('env', 'environment', `${users.size} referenced, all set: ${[...users.keys()].sort().join(', ')}`);
  return fail(
    'env',
    'environment',
    `not set: ${missing.map((n) => `${n} (${users.get(n)!.join(', ')})`).join('; ')}`,
    `export ${missing.map((n) => `${n}=…`).join(' ')} (in CI: as secrets of the job)`,
  );
}

async function database(o: DoctorOptions): Promise<DoctorCheck[]> {
  if (o.store?.kind === 'postgres') return postgres(o.store.url, o.dbPath);
  const store = ok('db.store', 'store', `SQLite at ${o.dbPath}`);
  if (!existsSync(o.dbPath)) return [store, skip('db.integrity', 'database', `no database yet at ${o.dbPath} (created on first use)`)];
  const checks: DoctorCheck[] = [store];
  try {
    const problems = checkIntegrity(o.dbPath);
    checks.push(
      problems.length === 1 && problems[0] === 'ok'
        ? ok('db.integrity', 'database', `${o.dbPath}: quick_check ok`)
        : fail('db.integrity', 'database', `${o.dbPath}: quick_check found ${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}`, 'restore the latest `mkt db backup` copy, or rebuild the workspace from its source data'),
    );
  } catch (e) {
    checks.push(fail('db.integrity', 'database', `${o.dbPath}: cannot be read as an SQLite database: ${(e as Error).message}`, 'check --db / MKT_DB points at mkt\'s database; restore a backup if it is damaged'));
  }
  checks.push(permissions(o));
  return checks;
}

/**
 * A PostgreSQL store, read only (never migrated or created here): the server answers and lets
 * this role in, the schema's migrations, and whether the role may write mkt's tables. A wrong
 * password, a server down or a missing database fails the connection check (doctor's 78).
 */
async function postgres(url: string, shown: string): Promise<DoctorCheck[]> {
  const checks = [ok('db.store', 'store', `PostgreSQL at ${shown}`)];
  let p;
  try {
    p = await (await import('../db/pg/probe.js')).probePgStore(url);
  } catch (e) {
    return [...checks, failed('db.connect', 'connection', e, 'check --db / MKT_DB and that the server is running')];
  }
  checks.push(ok('db.connect', 'connection', `connected as ${p.role}; server version ${p.serverVersion}`));
  const pending = Math.max(0, p.total - p.applied);
  if (pending === 0) checks.push(ok('db.migrations', 'migrations', `${p.applied} of ${p.total} applied; schema up to date`));
  else if (p.canCreate) checks.push(ok('db.migrations', 'migrations', `${p.applied} of ${p.total} applied, ${pending} pending: applied on first use (or \`mkt db migrate\`)`));
  else checks.push(fail('db.migrations', 'migrations', `${p.applied} of ${p.total} applied, ${pending} pending, and ${p.role} may not change the schema`, 'run `mkt db migrate` as the owner role (README "A least-privilege role")'));
  const schemaRights = p.canCreate ? 'may change the schema (owner)' : 'cannot change the schema (runtime role)';
  if (p.tables === 0) checks.push(skip('db.privileges', 'privileges', `no tables yet; ${p.role} ${schemaRights}`));
  else if (p.unwritable.length === 0) checks.push(ok('db.privileges', 'privileges', `${p.role} can write all ${p.tables} tables; ${schemaRights}`));
  else {
    const some = p.unwritable.slice(0, 5).join(', ') + (p.unwritable.length > 5 ? ' …' : '');
    checks.push(fail('db.privileges', 'privileges', `${p.role} cannot write ${p.unwritable.length} of ${p.tables} tables: ${some}; ${schemaRights}`, 'grant SELECT, INSERT, UPDATE, DELETE on them to this role as the owner (README "A least-privilege role")'));
  }
  return checks;
}

/** The database holds customer data: only its owner may read it (file 0600, folder 0700). */
function permissions(o: DoctorOptions): DoctorCheck {
  const wrong: string[] = [];
  const fixes: string[] = [];
  const want = (file: string, mode: number) => {
    if (!existsSync(file)) return;
    const actual = statSync(file).mode & 0o777;
    if ((actual & 0o077) !== 0) {
      wrong.push(`${file} is ${actual.toString(8).padStart(4, '0')}`);
      fixes.push(`chmod ${mode.toString(8)} ${file}`);
    }
  };
  for (const f of [o.dbPath, `${o.dbPath}-wal`, `${o.dbPath}-shm`]) want(f, 0o600);
  const dir = path.dirname(path.resolve(o.dbPath));
  if (dir === path.join(path.resolve(o.workspace), '.mkt')) want(dir, 0o700);
  if (wrong.length === 0) return ok('db.permissions', 'permissions', 'database readable by its owner only');
  return fail('db.permissions', 'permissions', `readable by others: ${wrong.join(', ')}`, fixes.join(' && '));
}

async function providerChecks(o: DoctorOptions, summaries: ProviderSummary[]): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  // one at a time: a live check is a network call, and the report reads in file order
  for (const s of summaries) {
    const id = `provider.${s.name}`;
    const title = `provider ${s.name}`;
    try {
      const r = await checkProvider({ workspace: o.workspace, env: o.env, now: o.now }, s.name);
      if (!r.live.available) out.push(ok(id, title, `${r.type}, ${r.channel}: config valid (no live check for this type)`));
      else if (r.live.ok) out.push(ok(id, title, `${r.type}, ${r.channel}: live check ok`));
      else out.push(fail(id, title, `${r.type}, ${r.channel}: the provider answered, but this account cannot send now (${Object.entries(r.live.details).map(([k, v]) => `${k}: ${String(v)}`).join(', ')})`, 'check the account status with the provider'));
    } catch (e) {
      out.push(failed(id, title, e, `run \`mkt provider check ${s.name}\` for details`));
    }
  }
  return out;
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const providers = await providersFile(o);
  const checks: DoctorCheck[] = [
    providers.check,
    await settingsFile(o),
    await segments(o),
    await templates(o),
    environment(o, providers.summaries),
    ...(await database(o)),
    ...(providers.summaries ? await providerChecks(o, providers.summaries) : []),
  ];
  return { ok: checks.every((c) => c.status !== 'fail'), workspace: o.workspace, store: o.store?.kind ?? 'sqlite', database: o.dbPath, checks };
}
