/**
 * Which channels a segment is an audience for, read from its conditions: a segment that tests
 * `email` or `email_opt_in` is an email audience (everyone-email is never offered for SMS), one
 * that tests `sms_opt_in` an SMS audience, `phone` SMS or WhatsApp. A segment that tests none of
 * these (high-value-dach) fits every channel. Interactive `campaign create` offers by this.
 */
import type { Channel } from '../channels.js';
import type { ColumnName, Filter } from '../db/filter.js';
import type { SegmentStore } from '../db/repositories.js';
import { listSegments, loadFilter, workspaceSegments } from './index.js';

const FIELD_CHANNELS: Partial<Record<ColumnName, readonly Channel[]>> = {
  email: ['email'],
  email_opt_in: ['email'],
  sms_opt_in: ['sms'],
  whatsapp_opt_in: ['whatsapp'],
  phone: ['sms', 'whatsapp'],
};

/** Every channel-specific column the filter tests, anywhere in it. */
function channelColumns(f: Filter, out: ColumnName[] = []): ColumnName[] {
  if (f.kind === 'all' || f.kind === 'any') for (const item of f.items) channelColumns(item, out);
  else if (f.kind === 'not') channelColumns(f.item, out);
  else if (f.field.kind === 'column' && FIELD_CHANNELS[f.field.name]) out.push(f.field.name);
  return out;
}

/** True when every channel-specific condition of the filter belongs to `channel`. */
export function fitsChannel(filter: Filter, channel: Channel): boolean {
  return channelColumns(filter).every((c) => FIELD_CHANNELS[c]!.includes(channel));
}

export interface ChannelSegment {
  name: string;
  description?: string;
  /** live size (customers matching now); absent without a store */
  count?: number;
}

/**
 * The segments of the workspace that fit `channel`, each with its live size when a store is
 * given. A segment whose definition does not parse is left out (`segment validate` names it).
 */
export async function channelSegments(workspace: string, channel: Channel, segments: Pick<SegmentStore, 'count'> | undefined, now: Date): Promise<ChannelSegment[]> {
  const library = workspaceSegments(workspace);
  const out: ChannelSegment[] = [];
  for (const s of await listSegments(workspace)) {
    const filter = await loadFilter(library, s.name).catch(() => undefined);
    if (!filter || !fitsChannel(filter, channel)) continue;
    out.push({ name: s.name, ...(s.description !== undefined ? { description: s.description } : {}), ...(segments ? { count: await segments.count(filter, now) } : {}) });
  }
  return out;
}
