/** Minimal ANSI colouring; a no-op when colour is off (no TTY, --no-color, NO_COLOR). */
export interface Colour {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function makeColour(enabled: boolean): Colour {
  if (!enabled) {
    const id = (s: string) => s;
    return { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

type Paint = keyof Colour;

/**
 * The one table of state colours (campaign and recipient states, delivery statuses): good
 * outcomes green, lost ones red, ones that need a look yellow, work in progress cyan.
 */
const STATE_PAINT: Record<string, Paint> = {
  sent: 'green',
  delivered: 'green',
  read: 'green',
  completed: 'green',
  ok: 'green',
  failed: 'red',
  bounced: 'red',
  complained: 'red',
  unknown: 'yellow',
  paused: 'yellow',
  waiting: 'yellow',
  retrying: 'yellow',
  sending: 'cyan',
  prepared: 'cyan',
  scheduled: 'cyan',
  pending: 'dim',
  skipped: 'dim',
  draft: 'dim',
  cancelled: 'dim',
};

/**
 * Paints `text` (default: the state itself) in the colour of `state`; unknown states and
 * `when === false` stay plain. With colour off every paint is the identity.
 */
export function stateColour(colour: Colour): (state: string, text?: string, when?: boolean) => string {
  return (state, text = state, when = true) => {
    const paint = STATE_PAINT[state];
    return paint && when ? colour[paint](text) : text;
  };
}

/** Length as the terminal shows it: ANSI colour codes take no columns. */
export function visibleLength(s: string): number {
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
