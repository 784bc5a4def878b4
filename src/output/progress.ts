/**
 * Live send progress: a one-line bar for a person at a terminal, a plain line every few
 * seconds for CI logs. Both write to stderr (stdout is for results).
 *
 * The bar line is composed for the terminal's width: the rate and ETA always show; the
 * per-sender detail is dropped first, then the bar itself shrinks, then goes.
 */
import type { SendProgress } from '../campaigns/send-progress.js';
import { stateColour, visibleLength, type Colour } from './colour.js';

export type { SendProgress };

export interface ProgressView {
  update(p: SendProgress): void;
  /** Takes the bar off the screen (before a notice); the next update draws it again. */
  clear(): void;
  stop(): void;
}

/** Whole-campaign numbers: a resumed send counts what earlier runs sent too. */
const overall = (p: SendProgress) => p.overall ?? { recipients: p.total, sent: p.sent, failed: p.failed, unknown: p.unknown, skipped: p.skipped };

export function formatEta(p: SendProgress): string {
  if (p.remaining === 0) return '0s';
  if (!(p.rate > 0)) return '?';
  const s = Math.ceil(p.remaining / p.rate);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${pad(m)}m`;
  if (m > 0) return `${m}m${pad(s % 60)}s`;
  return `${s}s`;
}

// `Acme News <news@m1.acme.example>` → `news@m1.acme.example`: the address is what tells senders apart
const label = (sender: string) => /<([^>]+)>/.exec(sender)?.[1] ?? sender;
const senders = (p: SendProgress) =>
  Object.entries(p.bySender)
    .map(([s, n]) => `${label(s)}=${n}`)
    .join(' ');

const MIN_BAR = 10;
const MAX_BAR = 30;

/** The bar line for a terminal `width` columns wide (never longer than width - 1, so it never wraps). */
export function progressLine(p: SendProgress, width: number, colour: Colour): string {
  const o = overall(p);
  const done = o.sent + o.failed + o.unknown + o.skipped;
  const fraction = o.recipients > 0 ? Math.min(1, done / o.recipients) : 1;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const c = stateColour(colour);
  const core = [
    `${pct} ${o.sent}/${o.recipients} ${c('sent')}`,
    `${c('failed', `failed ${o.failed}`, o.failed > 0)}`,
    `${c('unknown', `unknown ${o.unknown}`, o.unknown > 0)}`,
    `${p.rate.toFixed(1)}/s`,
    `ETA ${formatEta(p)}`,
  ].join(' · ');
  const room = width - 1 - visibleLength(core);
  const detail = senders(p);
  const bar = (n: number) => {
    const full = Math.round(fraction * n);
    return colour.cyan('█'.repeat(full)) + colour.dim('░'.repeat(n - full)) + ' ';
  };
  // the sender detail only when the bar still fits at its smallest beside it
  const withDetail = detail ? room - (MIN_BAR + 1) - (detail.length + 3) : -1;
  if (withDetail >= 0) return bar(Math.min(MAX_BAR, MIN_BAR + withDetail)) + core + ' · ' + colour.dim(detail);
  if (room >= MIN_BAR + 1) return bar(Math.min(MAX_BAR, room - 1)) + core;
  if (visibleLength(core) <= width - 1) return core;
  // very large numbers in a narrow terminal: the same facts, shorter words
  const compact = `${pct.trim()} ${o.sent}/${o.recipients} ${c('failed', `f${o.failed}`, o.failed > 0)} ${c('unknown', `u${o.unknown}`, o.unknown > 0)} ${p.rate.toFixed(1)}/s ETA ${formatEta(p)}`;
  return visibleLength(compact) <= width - 1 ? compact : compact.replace(/\u001b\[[0-9;]*m/g, '').slice(0, Math.max(0, width - 1));
}

/** One line for logs: every number, the whole campaign and this run. */
export function plainLine(p: SendProgress): string {
  const o = overall(p);
  const run = p.overall && p.overall.sent !== p.sent ? ` (this run ${p.sent})` : '';
  return (
    `progress: sent ${o.sent}/${o.recipients}${run} failed ${o.failed} unknown ${o.unknown} skipped ${o.skipped} retrying ${p.retrying} ` +
    `rate ${p.rate.toFixed(1)}/s eta ${formatEta(p)}${Object.keys(p.bySender).length ? ` senders: ${senders(p)}` : ''}`
  );
}

export function plainProgress(write: (line: string) => void, everyMs = 5000): ProgressView {
  let last = -Infinity;
  let latest: SendProgress | undefined;
  return {
    update(p) {
      latest = p;
      if (p.elapsedMs - last >= everyMs) {
        last = p.elapsedMs;
        write(plainLine(p) + '\n');
      }
    },
    clear() {},
    stop() {
      if (latest && latest.elapsedMs !== last) write(plainLine(latest) + '\n');
    },
  };
}

interface TtyStream {
  write(text: string): unknown;
  columns?: number;
}

const CLEAR_LINE = '\r\u001b[2K';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

/** The terminal bar: redrawn in place at most `fps` times a second; the final state stays on screen. */
export function barProgress(stream: TtyStream, colour: Colour, fps = 8): ProgressView {
  let latest: SendProgress | undefined;
  let drawn = false;
  let lastDraw = -Infinity;
  const draw = (p: SendProgress) => {
    stream.write((drawn ? CLEAR_LINE : HIDE_CURSOR + '\r') + progressLine(p, stream.columns || 80, colour));
    drawn = true;
    lastDraw = performance.now();
  };
  const clear = () => {
    if (drawn) stream.write(CLEAR_LINE + SHOW_CURSOR);
    drawn = false;
  };
  return {
    update(p) {
      latest = p;
      if (!drawn || performance.now() - lastDraw >= 1000 / fps) draw(p);
    },
    clear,
    stop() {
      if (latest) {
        draw(latest);
        stream.write('\n' + SHOW_CURSOR);
        drawn = false;
      } else clear();
    },
  };
}

/** The view for this run: the bar for a person at a terminal (stderr), plain lines otherwise. */
export function progressView(ctx: { tty: boolean; json: boolean; colour: Colour; info(message: string): void }, plainEveryMs?: number): ProgressView {
  return ctx.tty && !ctx.json ? barProgress(process.stderr, ctx.colour) : plainProgress((l) => ctx.info(l.trimEnd()), plainEveryMs);
}
