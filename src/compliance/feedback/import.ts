/**
 * `mkt feedback import <file>`: replays exported provider events (JSON array or JSON Lines)
 * offline, exactly as `mkt serve` would apply them live. Each element is a payload as the
 * provider sent it, tagged with its source in one of two ways:
 *
 *   {"source": "ses", "payload": { …SNS envelope or SES event… }}
 *   { …the payload itself…, "source": "meta" }          (or no `source` and --source meta)
 *
 * A Twilio status callback may carry the callback URL (`"url": "https://…/status?d=c1_r2_a1"`)
 * so its delivery ref is read from there. Atomic: any bad element → `file:line` errors, exit
 * 65, nothing applied.
 */
import { formatFromPath, rowsOf } from '../../customers/import/source.js';
import { openSource } from '../../customers/import/index.js';
import type { TrackingStore } from '../../db/tracking-store.js';
import { InputError, UsageError } from '../../errors.js';
import { applyFeedback, type FeedbackSummary } from './apply.js';
import { FEEDBACK_SOURCES, isSource, type FeedbackEvent, type FeedbackSource } from './event.js';
import { parsePayload } from './index.js';
import { parseTwilioStatus } from './twilio.js';

/** `individual`: mkt.yaml's `tracking.individual` (campaigns may set their own). */
export async function importFeedback(store: TrackingStore, opts: { file: string; source?: string; now: number; individual?: boolean }): Promise<FeedbackSummary & { read: number }> {
  if (opts.source !== undefined && !isSource(opts.source)) throw new UsageError(`--source "${opts.source}" must be ${FEEDBACK_SOURCES.join(', ')}`);
  const format = formatFromPath(opts.file) === 'json' ? 'json' : 'jsonl';
  const src = await openSource(opts.file, format);
  const events: FeedbackEvent[] = [];
  const problems: string[] = [];
  let read = 0;
  for await (const row of rowsOf(src)) {
    read++;
    const o = row.object!;
    const where = `${opts.file}:${row.line}`;
    const source = (o.source ?? opts.source) as FeedbackSource | undefined;
    if (!isSource(source)) {
      problems.push(`${where}: ${source === undefined ? 'no source (add "source": "ses|twilio|meta" or pass --source)' : `source "${String(source)}" must be ${FEEDBACK_SOURCES.join(', ')}`}`);
      continue;
    }
    const { source: _s, payload: wrapped, url, ...rest } = o;
    const payload = (wrapped ?? rest) as Record<string, unknown>;
    try {
      const ref = typeof url === 'string' ? refFromUrl(url) : undefined;
      if (source === 'twilio' && ref !== undefined && payload && typeof payload === 'object' && payload.MessageStatus !== undefined) events.push(...parseTwilioStatus(payload, ref));
      else events.push(...parsePayload(source, payload));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems.push(`${where}: ${e.message}`);
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, 20);
    throw new InputError('feedback_invalid', `${problems.length} bad event(s); nothing was applied:\n  ${shown.join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`, {
      hint: 'fix the file and run the import again',
      details: { problems: problems.slice(0, 100) },
    });
  }
  return { read, ...(await store.transaction((tx) => applyFeedback(tx, events, opts.now, { individual: opts.individual }))) };
}

function refFromUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('d') ?? undefined;
  } catch {
    return undefined;
  }
}
