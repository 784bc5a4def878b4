/**
 * Live send progress: a cli-progress bar for a person at a terminal, a plain line every few
 * seconds for CI logs. Both write to stderr (stdout is for results).
 */
import type { Progress } from '../dispatch/dispatcher.js';
import type { Colour } from './colour.js';

/** The dispatcher's progress plus the run's total, as the views show it. */
export type SendProgress = Progress & { total: number };

export interface ProgressView {
  update(p: SendProgress): void;
  stop(): void;
}

const eta = (p: SendProgress) => (p.rate > 0 ? `${Math.ceil(p.remaining / p.rate)}s` : '?');
// `Acme News <news@m1.acme.example>` → `news@m1.acme.example`: the address is what tells senders apart
const label = (sender: string) => /<([^>]+)>/.exec(sender)?.[1] ?? sender;
const senders = (p: SendProgress) =>
  Object.entries(p.bySender)
    .map(([s, n]) => `${label(s)}=${n}`)
    .join(' ');

export function plainProgress(write: (line: string) => void, everyMs = 5000): ProgressView {
  let last = -Infinity;
  let latest: SendProgress | undefined;
  const line = (p: SendProgress) =>
    write(
      `progress: sent ${p.sent}/${p.total} failed ${p.failed} unknown ${p.unknown} skipped ${p.skipped} retrying ${p.retrying} ` +
        `rate ${p.rate.toFixed(1)}/s eta ${eta(p)}${Object.keys(p.bySender).length ? ` senders: ${senders(p)}` : ''}\n`,
    );
  return {
    update(p) {
      latest = p;
      if (p.elapsedMs - last >= everyMs) {
        last = p.elapsedMs;
        line(p);
      }
    },
    stop() {
      if (latest && latest.elapsedMs !== last) line(latest);
    },
  };
}

export async function barProgress(stream: NodeJS.WritableStream, colour: Colour): Promise<ProgressView> {
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar(
    {
      stream,
      format: `${colour.cyan('{bar}')} {percentage}% | {value}/{total} sent | failed {failed} | unknown {unknown} | {rate}/s | ETA {eta_s} | {senders}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      fps: 8,
    },
  );
  let started = false;
  return {
    update(p) {
      const payload = { failed: p.failed, unknown: p.unknown, rate: p.rate.toFixed(1), eta_s: eta(p), senders: senders(p) };
      if (!started) {
        bar.start(p.total, p.sent, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.sent, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
