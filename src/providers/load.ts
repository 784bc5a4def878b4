/**
 * providers.yaml: parse, check secrets are `${ENV_VAR}` references, resolve them, validate each
 * entry against its type's schema, and report every problem as `providers.yaml:line:col` with
 * the YAML path. Values of secret fields never appear in a message. Positions, the alias guard,
 * `${ENV}` references and zod issues come from src/workspace/; this file knows the shape.
 */
import { z } from 'zod';
import { CHANNELS } from '../channels.js';
import { COMPLIANCE_SETTINGS } from './compliance-settings.js';
import { ConfigError, InputError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { tryParseRate } from '../util/rate.js';
import { parseConfig, readConfigText, throwIssues, type ConfigKind } from '../workspace/config-file.js';
import type { YamlPath } from '../workspace/issue.js';
import { envNames, maskSecrets, resolveEnv, secretPaths } from '../workspace/secrets.js';
import type { YamlFile } from '../workspace/yaml-file.js';
import { addZodIssues, type ZodWording } from '../workspace/zod-issues.js';
import { providerType, PROVIDER_TYPE_NAMES } from './registry.js';
import { channelSenderProblem } from './sender-identity.js';
import type { ProviderTypeSpec } from './spec.js';
import type { ProviderConfig, SenderConfig } from './types.js';

export const PROVIDERS_FILE = 'providers.yaml';
const KIND: ConfigKind = { file: PROVIDERS_FILE, invalidCode: 'providers_invalid', readme: 'Providers', unreadableCode: 'providers_unreadable' };

type Path = YamlPath;

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

async function readSource(workspace: string): Promise<{ file: YamlFile; entries: unknown[] }> {
  const text = await readConfigText(workspace, KIND);
  if (text === undefined) {
    throw new ConfigError('providers_missing', `no ${PROVIDERS_FILE} in ${workspace}`, { hint: 'create one (see README "Providers"), or pass --workspace' });
  }
  const file = parseConfig(text, KIND);
  const root = file.data();
  if (root === null || root === undefined) return { file, entries: [] };
  if (typeof root !== 'object' || Array.isArray(root)) file.add([], 'expected a mapping with a `providers:` list');
  else {
    const r = root as Record<string, unknown>;
    for (const key of Object.keys(r)) if (key !== 'providers') file.add([key], `unknown key "${key}"${didYouMean(key, ['providers'])}`, 'invalid', true);
    if (r.providers === undefined || r.providers === null) return { file, entries: [] };
    if (!Array.isArray(r.providers)) file.add(['providers'], 'expected a list of providers');
  }
  throwIssues(file, KIND);
  return { file, entries: ((root as Record<string, unknown>).providers as unknown[]) ?? [] };
}

/** zod's "invalid union" says nothing useful about a sender: name the shapes a sender takes. */
const senderWording: ZodWording = (issue, p) =>
  issue.code === 'invalid_union' && p[p.length - 2] === 'senders' ? 'a sender is an address / number / id, or a mapping like { address: …, weight: 2, rate: 5/s, daily_cap: 1000 }' : undefined;

/** True when the value at `p` (or a value above it) is a string holding an ${ENV} reference. */
function holdsEnvRef(value: unknown, p: Path): boolean {
  let v = value;
  for (const seg of [undefined, ...p]) {
    if (seg !== undefined) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
    if (typeof v === 'string' && v.includes('${')) return true;
  }
  return false;
}

function toSenders(file: YamlFile, base: Path, raw: unknown[] | undefined, implied: string[], check: (id: string) => string | undefined): SenderConfig[] {
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
    const spec: ProviderTypeSpec | undefined = typeof e.type === 'string' ? providerType(e.type) : undefined;
    if (!spec) {
      if (e.type === undefined) file.add(base, 'missing key "type"');
      else file.add([...base, 'type'], `unknown provider type "${String(e.type)}"${didYouMean(String(e.type), PROVIDER_TYPE_NAMES)}; known: ${PROVIDER_TYPE_NAMES.join(', ')}`);
      return;
    }
    const wanted = opts.resolve === 'all' || (typeof opts.resolve === 'object' && opts.resolve.only === e.name);
    const secretKeys = secretPaths(spec.secretPaths(e));
    const before = file.issues.length;
    const resolved = resolveEnv(file, base, e, [], secretKeys, wanted ? (opts.env ?? {}) : undefined) as Record<string, unknown>;
    // a missing or literal secret would only cause follow-on schema complaints about the same field
    if (file.issues.length > before) return;

    // The same checks with or without resolution (`provider list` must not pass what `check`
    // refuses); unresolved, only a value that is an ${ENV} reference is taken on trust.
    const full = z.strictObject({ ...baseShape, ...COMPLIANCE_SETTINGS, ...spec.settings }).safeParse(resolved);
    const issues = full.success ? [] : full.error.issues.filter((issue) => wanted || !holdsEnvRef(e, issue.path as Path));
    spec.refine?.(resolved, (p, message) => file.add([...base, ...p], message, 'invalid', true));
    if (issues.length > 0) {
      addZodIssues(file, base, { issues }, senderWording);
      return;
    }
    const parsed = wanted ? full : z.object(baseShape).safeParse(resolved);
    if (!parsed.success) {
      addZodIssues(file, base, parsed.error, senderWording);
      return;
    }
    const data = parsed.data as Record<string, unknown> & z.infer<z.ZodObject<typeof baseShape>>;
    if (!spec.channels.includes(data.channel)) {
      file.add([...base, 'channel'], `a ${spec.type} provider sends ${spec.channels.join(' or ')}, not ${data.channel}`);
    }
    const checkSender = (id: string) => (spec.checkSender ? spec.checkSender(id, data.channel) : channelSenderProblem(data.channel, id));
    const senders = toSenders(file, base, data.senders, spec.impliedSenders?.(resolved) ?? [], checkSender);
    const { line, col } = file.pos(base);
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
  throwIssues(file, KIND);
  return { configs, summaries };
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
