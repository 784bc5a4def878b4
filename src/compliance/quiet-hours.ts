/**
 * Quiet hours: a daily window of the recipient's local wall-clock time in which a channel may
 * send. Zone math goes through Intl.DateTimeFormat (the ICU zone database Node ships), so DST
 * and odd offsets (+05:45, +13:00) come out right without a zone library.
 */
export interface DailyWindow {
  /** Minutes after local midnight when sending may start, and when it must stop (exclusive). */
  start: number;
  end: number;
  text: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `"09:00-20:00"` → a window; a window may wrap midnight (`"21:00-07:00"`). */
export function parseWindow(text: string): DailyWindow | undefined {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const [a, b] = parts.map((p) => HHMM.exec(p));
  if (!a || !b) return undefined;
  const start = Number(a[1]) * 60 + Number(a[2]);
  const end = Number(b[1]) * 60 + Number(b[2]);
  if (start === end) return undefined;
  return { start, end, text: `${parts[0]}-${parts[1]}` };
}

export function insideWindow(minutes: number, w: DailyWindow): boolean {
  return w.start < w.end ? minutes >= w.start && minutes < w.end : minutes >= w.start || minutes < w.end;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, f);
  }
  return f;
}

/** Local wall time minus UTC at instant `t`, in ms (e.g. +3_600_000 for Berlin in winter). */
export function zoneOffsetMs(zone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of format(zone).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day, p.hour! % 24, p.minute, p.second);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** The instant at which the wall clock of `zone` shows `wall` (ms of a UTC-based wall time). */
function wallToInstant(zone: string, wall: number): number {
  const first = wall - zoneOffsetMs(zone, wall);
  return wall - zoneOffsetMs(zone, first);
}

/**
 * Undefined when `now` is inside the window in `zone`; otherwise the instant the window next
 * opens there. A start that falls into a DST gap opens at the first instant after the gap.
 */
export function nextOpening(now: number, zone: string, w: DailyWindow): number | undefined {
  const wallNow = now + zoneOffsetMs(zone, now);
  const day = Math.floor(wallNow / 86_400_000) * 86_400_000;
  const minutes = Math.floor((wallNow - day) / 60_000);
  if (insideWindow(minutes, w)) return undefined;
  let wallStart = day + w.start * 60_000;
  if (wallStart <= wallNow) wallStart += 86_400_000;
  const t = wallToInstant(zone, wallStart);
  // never "now or earlier": a row deferred to the past would be claimed and deferred again
  return t > now ? t : now + 60_000;
}

/**
 * The first instant at or after `after` at which the wall clock of `zone` shows `minutes` past
 * local midnight (`send_at_local`). A time inside a DST gap (02:30 on the spring-forward night)
 * comes out as the instant the clock jumps past it, as nextOpening does.
 */
export function nextWallClock(after: number, zone: string, minutes: number): number {
  const wallNow = after + zoneOffsetMs(zone, after);
  const day = Math.floor(wallNow / 86_400_000) * 86_400_000;
  for (let d = 0; d < 3; d++) {
    const t = wallToInstant(zone, day + d * 86_400_000 + minutes * 60_000);
    if (t >= after) return t;
  }
  return after; // unreachable: a zone's clock shows every time of day within three days
}
