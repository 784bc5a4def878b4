import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHANNELS, isChannel, type Channel } from '../channels.js';
import { InputError, UsageError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';

/** The file name ending that makes a template of each channel. */
export const EXTENSIONS: Record<Channel, string[]> = {
  email: ['.mjml'],
  sms: ['.txt'],
  whatsapp: ['.yaml', '.yml'],
};

export interface TemplateFile {
  name: string;
  channel: Channel;
  /** Workspace-relative path with forward slashes, as shown in messages (templates/email/x.mjml). */
  file: string;
  abs: string;
}

export function templatesDir(workspace: string): string {
  return path.join(workspace, 'templates');
}

/** Regular files directly in a folder (symlinks are not followed: they could point anywhere). */
function regularFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .sort();
}

/** Every template in the workspace, channel by channel, in name order. */
export function findTemplates(workspace: string): TemplateFile[] {
  const out: TemplateFile[] = [];
  for (const channel of CHANNELS) {
    const dir = path.join(templatesDir(workspace), channel);
    for (const entry of regularFiles(dir)) {
      const ext = EXTENSIONS[channel].find((e) => entry.endsWith(e));
      if (!ext) continue;
      const name = entry.slice(0, -ext.length);
      out.push({ name, channel, file: `templates/${channel}/${entry}`, abs: path.join(dir, entry) });
    }
  }
  return out;
}

/**
 * Finds a template by `name` (when only one channel has it) or `<channel>/<name>`; with
 * `channel` the search is limited to that channel's folder.
 */
export function resolveTemplate(workspace: string, ref: string, channel?: Channel): TemplateFile {
  let name = ref.replace(/\.(mjml|txt|ya?ml)$/, '');
  let want = channel;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const prefix = name.slice(0, slash);
    if (!isChannel(prefix)) throw new UsageError(`"${ref}": "${prefix}" is not a channel (email, sms, whatsapp)`, { code: 'template_ref' });
    if (channel && prefix !== channel) throw new InputError('template_channel', `template "${ref}" is not a ${channel} template`);
    want = prefix;
    name = name.slice(slash + 1);
  }
  const all = findTemplates(workspace);
  const matches = all.filter((t) => t.name === name && (!want || t.channel === want));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(`template name "${ref}" is ambiguous: ${matches.map((m) => `${m.channel}/${m.name}`).join(', ')}`, {
      code: 'template_ambiguous',
      hint: 'write it as <channel>/<name>',
    });
  }
  const where = want ? `templates/${want}/` : 'templates/';
  const known = all.filter((t) => !want || t.channel === want).map((t) => `${t.channel}/${t.name}`);
  const names = all.filter((t) => !want || t.channel === want).map((t) => t.name);
  throw new InputError('template_not_found', `no template "${ref}" in ${where}${didYouMean(name, names)}`, {
    hint: known.length ? `known templates: ${known.join(', ')}` : 'create one with `mkt template new <channel> <name>`',
  });
}

/**
 * The partials a template may include: the files of templates/partials/ (and its sub-folders),
 * keyed by relative path with and without its extension. Read once; nothing else is reachable.
 */
export function loadPartials(workspace: string): Record<string, string> {
  const root = path.join(templatesDir(workspace), 'partials');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const walk = (dir: string, prefix: string) => {
    if (!existsSync(dir) || !lstatSync(dir).isDirectory()) return;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + d.name;
      if (d.isDirectory()) walk(path.join(dir, d.name), rel + '/');
      else if (d.isFile()) {
        const text = readFileSync(path.join(dir, d.name), 'utf8');
        out[rel] = text;
        const bare = rel.replace(/\.[^./]+$/, '');
        if (!(bare in out)) out[bare] = text;
      }
    }
  };
  walk(root, '');
  return out;
}
