/**
 * providers.yaml: parse, check secrets are `${ENV_VAR}` references, resolve them, validate each
 * entry against its type's schema, and report every problem as `providers.yaml:line:col` with
 * the YAML path. Values of secret fields never appear in a message.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import { CHANNELS } from '../channels.js';
import { COMPLIANCE_SETTINGS } from '../compliance/provider-settings.js';
import { ConfigError, InputError } from '../errors.js';
import { registerSecret } from '../output/redact.js';
import { didYouMean } from '../util/suggest.js';
import { tryParseRate } from '../util/rate.js';
import { PROVIDER_TYPES, PROVIDER_TYPE_NAMES } from './registry.js';
import { channelSenderProblem } from './sender-identity.js';
import type { ProviderTypeSpec } from './spec.js';
import type { ProviderConfig, SenderConfig } from './types.js';

export const PROVIDERS_FILE = 'providers.yaml';

type Path = Array<string | number>;

/** A whole-value environment reference: the only form a secret may take. */
const SECRET_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ANY_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const rateSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const rate = tryParseRate(String(v));
  if (!rate) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a rate: write it like 50/s, 600/m or 10000/h` });
    return z.NEVER;
  }
  return rate;
});

const SENDER_KEYS = ['address', 'number', 'phone_number_id', 'id'] as const;
const senderId = z.union([z.string().min(1), z.number()]).transform(String);
const senderSchema = z.union([
  senderId,
  z.strictObject({
    address: senderId.optional(),
    number: senderId.optional(),
    phone_number_id: senderId.optional(),
    id: senderId.optional(),
    weight: z.number().positive().default(1),
    rate: rateSchema.optional(),
    daily_cap: z.int().positive().optional(),
  }),
]);

const baseShape = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-"'),
  type: z.string(),
  channel: z.enum(CHANNELS),
  rate: rateSchema.optional(),
  concurrency: z.int().min(1).max(1024).optional(),
  senders: z.array(senderSchema).optional(),
};
const BASE_KEYS = new Set(Object.keys(baseShape));

/** One entry as `provider list` shows it: no env resolution, secrets masked. */
export interface ProviderSummary {
  name: string;
  type: string;
  channel: string;
  senders: Array<{ id: string; weight: number; rate?: string; dailyCap?: number }>;
  rate?: string;
  concurrency?: number;
  settings: Record<string, unknown>;
  /** Environment variables the entry references (names only). */
  env: string[];
  source: string;
}

export function envNames(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(ANY_REF)) into.add(m[1]!);
  else if (Array.isArray(value)) value.forEach((v) => envNames(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => envNames(v, into));
  return into;
}

interface Problem {
  at: string;
  path: string;
  message: string;
  code: 'invalid' | 'env_missing' | 'literal_secret';
}

export class SourceFile {
  readonly problems: Problem[] = [];
  constructor(
    readonly display: string,
    readonly doc: Document,
    readonly lines: LineCounter,
  ) {}

  /** `providers.yaml:line:col` of the deepest node along `p` (the key itself with `atKey`). */
  where(p: Path, atKey = false): string {
    let node: unknown = this.doc.contents;
    let offset = (node as { range?: number[] } | null)?.range?.[0] ?? 0;
    for (const seg of p) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as { range?: number[] };
        const value = pair.value as { range?: number[] } | null;
        offset = (atKey && seg === p[p.length - 1] ? key.range?.[0] : (value?.range?.[0] ?? key.range?.[0])) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg];
        offset = (node as { range?: number[] }).range?.[0] ?? offset;
      } else break;
    }
    const { line, col } = this.lines.linePos(offset);
    return `${this.display}:${line}:${col}`;
  }

  add(p: Path, message: string, code: Problem['code'] = 'invalid', atKey = false): void {
    this.problems.push({ at: this.where(p, atKey), path: formatPath(p), message, code });
  }
}

export function formatPath(p: Path): string {
  return p.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Throws every collected problem as one ConfigError (78); `kind` names the file's code and README section. */
export function throwProblems(file: SourceFile, kind: { invalidCode: string; readme: string } = { invalidCode: 'providers_invalid', readme: 'Providers' }): void {
  const ps = file.problems;
  if (ps.length === 0) return;
  const line = (p: Problem) => `${p.at}: ${p.path ? p.path + ': ' : ''}${p.message}`;
  const single = ps.length === 1 ? ps[0]! : undefined;
  const same = ps.every((p) => p.code === ps[0]!.code) ? ps[0]!.code : 'invalid';
  const code = same === 'invalid' ? kind.invalidCode : same;
  const message = single ? line(single) : `${file.display} has ${ps.length} problems:\n` + ps.map((p) => '  ' + line(p)).join('\n');
  const hint =
    code === 'env_missing'
      ? 'set the environment variable before running mkt'
      : code === 'literal_secret'
        ? `put the secret in an environment variable and write \`\${NAME}\` in ${file.display}`
        : `see README "${kind.readme}" for the shape of ${file.display}`;
  throw new ConfigError(code, message, { hint, details: { problems: ps } });
}

/** Parses YAML text into a SourceFile (positions kept); syntax errors are thrown at once as `file:line:col`. */
export function parseSourceText(display: string, text: string, kind?: Parameters<typeof throwProblems>[1]): SourceFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  const file = new SourceFile(display, doc, lines);
  for (const err of doc.errors) {
    const { line, col } = lines.linePos(err.pos[0]);
    file.problems.push({ at: `${display}:${line}:${col}`, path: '', message: `YAML: ${err.message.split('\n')[0]}`, code: 'invalid' });
  }
  if (doc.errors.length === 0) {
    // toJS refuses alias bombs (billion laughs) by throwing: report that here, at the first alias
    try {
      doc.toJS();
    } catch (e) {
      let at = `${display}:1:1`;
      visit(doc, { Alias: (_k, a) => ((at = `${display}:${lines.linePos(a.range?.[0] ?? 0).line}:${lines.linePos(a.range?.[0] ?? 0).col}`), visit.BREAK) });
      file.problems.push({ at, path: '', message: `YAML: ${(e as Error).message} (too many alias expansions)`, code: 'invalid' });
    }
  }
  throwProblems(file, kind);
  return file;
}

/** Big integers (phone-number ids) keep every digit: they become strings, small ones numbers. */
export function fromBigInts(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(fromBigInts);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromBigInts(v)]));
  return value;
}

async function readSource(workspace: string): Promise<{ file: SourceFile; entries: unknown[] }> {
  const full = path.join(workspace, PROVIDERS_FILE);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError('providers_missing', `no ${PROVIDERS_FILE} in ${workspace}`, { hint: 'create one (see README "Providers"), or pass --workspace' });
    }
    throw new ConfigError('providers_unreadable', `cannot read ${full}: ${(e as Error).message}`);
  }
  const file = parseSourceText(PROVIDERS_FILE, text);
  const root = fromBigInts(file.doc.toJS()) as unknown;
  if (root === null || root === undefined) return { file, entries: [] };
  if (typeof root !== 'object' || Array.isArray(root)) file.add([], 'expected a mapping with a `providers:` list');
  else {
    const r = root as Record<string, unknown>;
    for (const key of Object.keys(r)) if (key !== 'providers') file.add([key], `unknown key "${key}"${didYouMean(key, ['providers'])}`, 'invalid', true);
    if (r.providers === undefined || r.providers === null) return { file, entries: [] };
    if (!Array.isArray(r.providers)) file.add(['providers'], 'expected a list of providers');
  }
  throwProblems(file);
  return { file, entries: ((root as Record<string, unknown>).providers as unknown[]) ?? [] };
}

/** Replaces `${VAR}` in every string; secret fields must be exactly one reference. */
export function resolveEnv(file: SourceFile, base: Path, value: unknown, here: Path, secrets: Set<string>, env: NodeJS.ProcessEnv | undefined): unknown {
  const key = JSON.stringify(here);
  if (typeof value === 'string') {
    const secret = secrets.has(key);
    if (secret && !SECRET_REF.test(value)) {
      file.add([...base, ...here], 'a secret must be an ${ENV_VAR} reference, not a literal value', 'literal_secret');
      return undefined;
    }
    if (!env) return value;
    const out = value.replace(ANY_REF, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        file.add([...base, ...here], `environment variable ${name} is not set`, 'env_missing');
        return '';
      }
      return v;
    });
    if (secret) registerSecret(out);
    return out;
  }
  if (secrets.has(key) && value !== undefined && value !== null) {
    file.add([...base, ...here], 'a secret must be an ${ENV_VAR} reference, not a literal value', 'literal_secret');
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(file, base, v, [...here, i], secrets, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(file, base, v, [...here, k], secrets, env)]));
  }
  return value;
}

/** True when the value at `p` (or a value above it) is a string holding an ${ENV} reference. */
function holdsEnvRef(value: unknown, p: Path): boolean {
  let v = value;
  for (const seg of [undefined, ...p]) {
    if (seg !== undefined) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
    if (typeof v === 'string' && v.includes('${')) return true;
  }
  return false;
}

export function addZodIssues(file: SourceFile, base: Path, error: Pick<z.ZodError, 'issues'>): void {
  for (const issue of error.issues) {
    const p = [...base, ...(issue.path as Path)];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) file.add([...p, k], `unknown key "${k}"`, 'invalid', true);
    } else if (issue.code === 'invalid_union' && p[p.length - 2] === 'senders') {
      file.add(p, 'a sender is an address / number / id, or a mapping like { address: …, weight: 2, rate: 5/s, daily_cap: 1000 }');
    } else {
      file.add(p, issue.message.replace(/^Invalid input: /, ''));
    }
  }
}

function toSenders(file: SourceFile, base: Path, raw: unknown[] | undefined, implied: string[], check: (id: string) => string | undefined): SenderConfig[] {
  if (!raw || raw.length === 0) {
    if (implied.length > 0) return implied.map((id) => ({ id, weight: 1 }));
    file.add([...base, 'senders'], 'at least one sender is needed', 'invalid', true);
    return [];
  }
  const seen = new Set<string>();
  return raw.map((s, i) => {
    let sender: SenderConfig;
    if (typeof s === 'string') sender = { id: s, weight: 1 };
    else {
      const o = s as { weight: number; rate?: SenderConfig['rate']; daily_cap?: number } & Record<string, string | undefined>;
      const ids = SENDER_KEYS.filter((k) => o[k] !== undefined);
      if (ids.length !== 1) file.add([...base, 'senders', i], `a sender needs exactly one of ${SENDER_KEYS.join(', ')}`);
      sender = { id: o[ids[0] ?? 'id'] ?? '', weight: o.weight, ...(o.rate ? { rate: o.rate } : {}), ...(o.daily_cap ? { dailyCap: o.daily_cap } : {}) };
    }
    // an unresolved ${ENV} reference (provider list) is checked once it is resolved
    const problem = sender.id && !sender.id.includes('${') ? check(sender.id) : undefined;
    if (problem) file.add([...base, 'senders', i], problem);
    if (seen.has(sender.id)) file.add([...base, 'senders', i], `sender "${sender.id}" is listed twice`);
    seen.add(sender.id);
    return sender;
  });
}

interface ReadOptions {
  /** Resolve `${ENV}` references and validate type-specific settings: for all entries, or one name. */
  resolve: 'all' | 'none' | { only: string };
  env?: NodeJS.ProcessEnv;
}

interface Checked {
  configs: ProviderConfig[];
  summaries: ProviderSummary[];
}

async function readProviders(workspace: string, opts: ReadOptions): Promise<Checked> {
  const { file, entries } = await readSource(workspace);
  const configs: ProviderConfig[] = [];
  const summaries: ProviderSummary[] = [];
  const names = new Map<string, number>();
  entries.forEach((entry, i) => {
    const base: Path = ['providers', i];
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      file.add(base, 'expected a mapping with name, type, channel and senders');
      return;
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.name === 'string') {
      const first = names.get(e.name);
      if (first !== undefined) file.add([...base, 'name'], `provider name "${e.name}" is already used by providers[${first}]`);
      else names.set(e.name, i);
    }
    const spec: ProviderTypeSpec | undefined = typeof e.type === 'string' ? PROVIDER_TYPES[e.type] : undefined;
    if (!spec) {
      if (e.type === undefined) file.add(base, 'missing key "type"');
      else file.add([...base, 'type'], `unknown provider type "${String(e.type)}"${didYouMean(String(e.type), PROVIDER_TYPE_NAMES)}; known: ${PROVIDER_TYPE_NAMES.join(', ')}`);
      return;
    }
    const wanted = opts.resolve === 'all' || (typeof opts.resolve === 'object' && opts.resolve.only === e.name);
    const secretKeys = new Set(spec.secretPaths(e).map((p) => JSON.stringify(p)));
    const before = file.problems.length;
    const resolved = resolveEnv(file, base, e, [], secretKeys, wanted ? (opts.env ?? {}) : undefined) as Record<string, unknown>;
    // a missing or literal secret would only cause follow-on schema complaints about the same field
    if (file.problems.length > before) return;

    // The same checks with or without resolution (`provider list` must not pass what `check`
    // refuses); unresolved, only a value that is an ${ENV} reference is taken on trust.
    const full = z.strictObject({ ...baseShape, ...COMPLIANCE_SETTINGS, ...spec.settings }).safeParse(resolved);
    const issues = full.success ? [] : full.error.issues.filter((issue) => wanted || !holdsEnvRef(e, issue.path as Path));
    spec.refine?.(resolved, (p, message) => file.add([...base, ...p], message, 'invalid', true));
    if (issues.length > 0) {
      addZodIssues(file, base, { issues });
      return;
    }
    const parsed = wanted ? full : z.object(baseShape).safeParse(resolved);
    if (!parsed.success) {
      addZodIssues(file, base, parsed.error);
      return;
    }
    const data = parsed.data as Record<string, unknown> & z.infer<z.ZodObject<typeof baseShape>>;
    if (!spec.channels.includes(data.channel)) {
      file.add([...base, 'channel'], `a ${spec.type} provider sends ${spec.channels.join(' or ')}, not ${data.channel}`);
    }
    const checkSender = (id: string) => (spec.checkSender ? spec.checkSender(id, data.channel) : channelSenderProblem(data.channel, id));
    const senders = toSenders(file, base, data.senders as unknown[] | undefined, spec.impliedSenders?.(resolved) ?? [], checkSender);
    const { line, col } = file.lines.linePos((file.doc.getIn(base, true) as { range?: number[] } | undefined)?.range?.[0] ?? 0);
    const source = `${PROVIDERS_FILE}:${line}:${col}`;
    const settings = Object.fromEntries(Object.entries(data).filter(([k]) => !BASE_KEYS.has(k)));
    const masked = Object.fromEntries(
      Object.entries(e)
        .filter(([k]) => !BASE_KEYS.has(k))
        .map(([k, v]) => [k, maskSecrets(v, [k], secretKeys)]),
    );
    summaries.push({
      name: data.name,
      type: spec.type,
      channel: data.channel,
      senders: senders.map((s) => ({ id: s.id, weight: s.weight, ...(s.rate ? { rate: s.rate.text } : {}), ...(s.dailyCap ? { dailyCap: s.dailyCap } : {}) })),
      ...(data.rate ? { rate: data.rate.text } : {}),
      ...(data.concurrency ? { concurrency: data.concurrency } : {}),
      settings: masked,
      env: [...envNames(e)],
      source,
    });
    if (wanted) {
      configs.push({
        name: data.name,
        type: spec.type,
        channel: data.channel,
        ...(data.rate ? { rate: data.rate } : {}),
        ...(data.concurrency ? { concurrency: data.concurrency } : {}),
        senders,
        settings,
        source,
      });
    }
  });
  throwProblems(file);
  return { configs, summaries };
}

function maskSecrets(value: unknown, here: Path, secrets: Set<string>): unknown {
  if (secrets.has(JSON.stringify(here))) return '***';
  if (Array.isArray(value)) return value.map((v, i) => maskSecrets(v, [...here, i], secrets));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, [...here, k], secrets)]));
  return value;
}

/** Every provider, validated, secrets resolved (registered for redaction). Throws ConfigError (78). */
export async function loadProviders(workspace: string, env: NodeJS.ProcessEnv): Promise<ProviderConfig[]> {
  return (await readProviders(workspace, { resolve: 'all', env })).configs;
}

/**
 * One provider by name. The whole file must be well-formed, but only this entry's environment
 * variables need to be set. Unknown name: InputError (65) with a did-you-mean.
 */
export async function getProviderConfig(workspace: string, env: NodeJS.ProcessEnv, name: string): Promise<ProviderConfig> {
  const { configs, summaries } = await readProviders(workspace, { resolve: { only: name }, env });
  const found = configs.find((c) => c.name === name);
  if (!found) {
    const known = summaries.map((s) => s.name);
    throw new InputError('provider_not_found', `no provider named "${name}" in ${PROVIDERS_FILE}${didYouMean(name, known)}`, {
      hint: known.length ? `known providers: ${known.join(', ')}` : `${PROVIDERS_FILE} lists no providers`,
    });
  }
  return found;
}

/** The providers as `provider list` shows them: common keys validated, secrets as `***`, no env needed. */
export async function listProviders(workspace: string): Promise<ProviderSummary[]> {
  return (await readProviders(workspace, { resolve: 'none' })).summaries;
}
