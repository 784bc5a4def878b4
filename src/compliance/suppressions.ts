/**
 * The suppression list: addresses never to send to on a channel, in canonical form (the one
 * rule of customers/address.ts that customers get at import, so comparisons are exact and a
 * suppression written in any spelling of an address matches every other). Prepare excludes
 * them and every claim re-checks them, so an entry added mid-send is honoured at once.
 */
import { CHANNELS, isChannel, type Channel } from '../channels.js';
import { checkAddress } from '../customers/address.js';
import { formatFromPath, rowsOf, type ImportFormat } from '../customers/import/source.js';
import { openSource } from '../customers/import/index.js';
import { malformed } from '../customers/import/text.js';
import type { ImportedSuppression, ImportStore } from '../db/import-store.js';
import type { SuppressionStore } from '../db/repositories.js';
import type { SuppressionRow } from '../db/suppressions.js';
import { InputError, UsageError } from '../errors.js';
import { quoted } from '../util/printable.js';

import { SUPPRESSION_REASONS, type SuppressionReason } from './vocabulary.js';

export { SUPPRESSION_REASONS, type SuppressionReason };

export function isReason(v: unknown): v is SuppressionReason {
  return typeof v === 'string' && (SUPPRESSION_REASONS as readonly string[]).includes(v);
}

export interface SuppressionView {
  channel: Channel;
  address: string;
  reason: string;
  source: string | null;
  note: string | null;
  created_at: string;
}

const view = (r: SuppressionRow): SuppressionView => ({ ...r, created_at: new Date(r.created_at).toISOString() });

function checkChannel(channel: string | undefined): Channel {
  if (!channel) throw new UsageError(`--channel is required (${CHANNELS.join(', ')})`);
  if (!isChannel(channel)) throw new UsageError(`--channel "${channel}" must be ${CHANNELS.join(', ')}`);
  return channel;
}

function checkReason(reason: string | undefined): SuppressionReason {
  const r = reason ?? 'manual';
  if (!isReason(r)) throw new UsageError(`--reason "${r}" must be one of ${SUPPRESSION_REASONS.join(', ')}`);
  return r;
}

function addressOf(channel: Channel, raw: string): string {
  const checked = checkAddress(channel, raw);
  if (checked.address) return checked.address;
  throw new InputError('bad_address', `${quoted(raw)} is not ${channel === 'email' ? 'an email address' : 'a phone number (E.164, e.g. +447911123456)'}: ${checked.problem}`);
}

export async function addSuppression(
  suppressions: SuppressionStore,
  input: { address: string; channel?: string; reason?: string; note?: string; source?: string },
  now: number,
): Promise<{ added: boolean; suppression: SuppressionView }> {
  const channel = checkChannel(input.channel);
  const reason = checkReason(input.reason);
  const address = addressOf(channel, input.address);
  const added = await suppressions.add({ channel, address, reason, source: input.source ?? 'cli', note: input.note ?? null }, now);
  return { added, suppression: view((await suppressions.get(channel, address))!) };
}

export async function removeSuppression(suppressions: SuppressionStore, input: { address: string; channel?: string }): Promise<{ removed: boolean; channel: Channel; address: string }> {
  const channel = checkChannel(input.channel);
  const address = addressOf(channel, input.address);
  return { removed: await suppressions.lift(channel, address), channel, address };
}

export async function listSuppressions(suppressions: SuppressionStore, channel?: string): Promise<SuppressionView[]> {
  return (await suppressions.list(channel === undefined ? undefined : checkChannel(channel))).map(view);
}

export interface SuppressionImport {
  read: number;
  added: number;
  already: number;
}

/** Suppressions written per statement (PostgreSQL: one INSERT … SELECT FROM unnest). */
const SUPPRESSION_BATCH = 1000;

/**
 * Imports a CSV / JSON / JSONL file with `address` (or `email` / `phone`), and optionally
 * `channel`, `reason`, `note` per row (`--channel` / `--reason` give defaults). One
 * transaction: every bad row is reported as `file:line` and nothing is written.
 */
export async function importSuppressions(
  imports: ImportStore,
  opts: { file: string; format?: ImportFormat; channel?: string; reason?: string; now: number },
): Promise<SuppressionImport> {
  const format = opts.format ?? formatFromPath(opts.file);
  if (!format) throw new UsageError(`cannot tell the format of ${opts.file} from its extension`, { hint: 'use --format csv|json|jsonl' });
  const defaultChannel = opts.channel === undefined ? undefined : checkChannel(opts.channel);
  const defaultReason = checkReason(opts.reason);
  const source = await openSource(opts.file, format);
  const col = (name: string) => source.header?.findIndex((h) => h.trim().toLowerCase() === name) ?? -1;
  if (source.header && col('address') < 0 && col('email') < 0 && col('phone') < 0) {
    throw malformed({ file: opts.file, line: 1 }, 'the header needs an `address` (or `email` / `phone`) column');
  }
  const result: SuppressionImport = { read: 0, added: 0, already: 0 };
  const problems: string[] = [];
  await imports.suppressions(async (add) => {
    // written a batch at a time, in file order (an address twice in the file: the first row's reason)
    let batch: ImportedSuppression[] = [];
    const flush = async () => {
      const added = await add(batch, opts.now);
      result.added += added;
      result.already += batch.length - added;
      batch = [];
    };
    for await (const row of rowsOf(source)) {
      result.read++;
      const get = (name: string): string | undefined => {
        if (row.object) {
          const v = row.object[name];
          return v === undefined || v === null ? undefined : String(v);
        }
        const i = col(name);
        const v = i >= 0 ? row.cells[i]?.trim() : undefined;
        return v === '' ? undefined : v;
      };
      const where = `${opts.file}:${row.line}`;
      const channelText = get('channel') ?? defaultChannel ?? (get('email') ? 'email' : undefined);
      const reason = get('reason') ?? defaultReason;
      const raw = get('address') ?? get('email') ?? get('phone');
      if (!channelText || !isChannel(channelText)) {
        problems.push(`${where}: ${channelText ? `channel "${channelText}" must be ${CHANNELS.join(', ')}` : 'no channel (add a channel column or pass --channel)'}`);
        continue;
      }
      if (!isReason(reason)) {
        problems.push(`${where}: reason "${reason}" must be one of ${SUPPRESSION_REASONS.join(', ')}`);
        continue;
      }
      const checked = raw === undefined ? undefined : checkAddress(channelText, raw);
      const address = checked?.address;
      if (!address) {
        problems.push(`${where}: ${raw === undefined ? 'no address' : `${quoted(raw)} is not a valid ${channelText === 'email' ? 'email address' : 'phone number'} (${checked?.problem})`}`);
        continue;
      }
      if (problems.length) continue; // keep checking, stop writing
      batch.push({ channel: channelText, address, reason, source: 'import', note: get('note') ?? null });
      if (batch.length >= SUPPRESSION_BATCH) await flush();
    }
    if (!problems.length) await flush();
    if (problems.length) {
      const shown = problems.slice(0, 20);
      throw new InputError('import_invalid', `${problems.length} bad row(s); nothing was imported:\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`, {
        hint: 'fix the file and run the import again',
        details: { problems: problems.slice(0, 100) },
      });
    }
  });
  return result;
}
