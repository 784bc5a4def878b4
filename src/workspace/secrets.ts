/**
 * `${ENV_VAR}` references in workspace files. Any string may use them; a secret field must be
 * exactly one reference (a literal secret would end up in git), and is registered for
 * redaction once resolved. Values of secret fields never appear in an Issue.
 */
import { registerSecret } from '../util/redact.js';
import type { YamlPath } from './issue.js';
import type { YamlFile } from './yaml-file.js';

/** A whole-value environment reference: the only form a secret may take. */
const SECRET_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ANY_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const LITERAL = 'a secret must be an ${ENV_VAR} reference, not a literal value';

/** Paths (relative to the value being resolved) of secret fields, as `JSON.stringify(path)`. */
export type SecretPaths = Set<string>;

export function secretPaths(paths: YamlPath[]): SecretPaths {
  return new Set(paths.map((p) => JSON.stringify(p)));
}

/**
 * Replaces `${VAR}` in every string of `value` (found at `base` in the file); secret fields must
 * be exactly one reference. Without `env` references are only checked, not resolved.
 */
export function resolveEnv(file: YamlFile, base: YamlPath, value: unknown, here: YamlPath, secrets: SecretPaths, env: NodeJS.ProcessEnv | undefined): unknown {
  const key = JSON.stringify(here);
  if (typeof value === 'string') {
    const secret = secrets.has(key);
    if (secret && !SECRET_REF.test(value)) {
      file.add([...base, ...here], LITERAL, 'literal_secret');
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
    file.add([...base, ...here], LITERAL, 'literal_secret');
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(file, base, v, [...here, i], secrets, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(file, base, v, [...here, k], secrets, env)]));
  }
  return value;
}

/** The environment variables a value references (names only, for `provider list`). */
export function envNames(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(ANY_REF)) into.add(m[1]!);
  else if (Array.isArray(value)) value.forEach((v) => envNames(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => envNames(v, into));
  return into;
}

/** The value with every secret field shown as `***`. */
export function maskSecrets(value: unknown, here: YamlPath, secrets: SecretPaths): unknown {
  if (secrets.has(JSON.stringify(here))) return '***';
  if (Array.isArray(value)) return value.map((v, i) => maskSecrets(v, [...here, i], secrets));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, [...here, k], secrets)]));
  return value;
}
