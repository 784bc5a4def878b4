/**
 * Render failures grouped by cause, for pre-flight (`campaign check`, `prepare`) and
 * `send --dry-run`, which render every recipient. One cause (a missing variable at one template
 * position, an SMS over max_segments) usually hits many recipients: the operator needs the
 * cause once with a count and a few addresses, not one line per recipient. Memory stays flat
 * however many fail: at most MAX_GROUPS causes with EXAMPLES addresses each are kept.
 */
import type { RenderFailureGroup, RenderFailures } from '../db/campaigns.js';
import type { RenderError } from '../templates/contract.js';

export type { RenderFailureGroup, RenderFailures } from '../db/campaigns.js';

export const MAX_GROUPS = 50;
export const EXAMPLES = 3;

/** `file:line:col: message` or `file: message` (RenderError's form) → position and cause. */
export function splitCause(message: string): { at?: string; cause: string } {
  const m = /^([^\s:]+(?::\d+:\d+)?): ([\s\S]+)$/.exec(message);
  const at = m?.[1];
  const rest = m ? m[2]! : message;
  // the per-recipient hint ("give it a default") belongs to the error, not to the group's name
  const cause = rest.replace(/ \(give it a default: [^)]*\)$/, '');
  return at !== undefined && /[/.]/.test(at) ? { at, cause } : { cause: message };
}

export class RenderFailureTally {
  private readonly groups = new Map<string, RenderFailureGroup>();
  private total = 0;
  private other = 0;

  add(address: string, error: RenderError): void {
    this.total++;
    // figures that vary per recipient (segments, lengths) do not make a new cause
    const key = `${error.code}\u0000${error.message.replace(/\d+/g, '#')}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) {
        this.other++;
        return;
      }
      g = { ...splitCause(error.message), code: error.code, count: 0, examples: [] };
      this.groups.set(key, g);
    }
    g.count++;
    if (g.examples.length < EXAMPLES) g.examples.push(address);
  }

  get count(): number {
    return this.total;
  }

  result(): RenderFailures {
    return { total: this.total, groups: [...this.groups.values()].sort((a, b) => b.count - a.count), other: this.other };
  }
}

/** One line per cause: `missing variable "x" (templates/email/bx.mjml:5:50): 112 recipients, e.g. a@x, b@y, …`. */
export function renderFailureLines(f: RenderFailures): string[] {
  const lines = f.groups.map((g) => {
    const more = g.count > g.examples.length ? ', …' : '';
    return `${g.cause}${g.at ? ` (${g.at})` : ''}: ${g.count} recipient${g.count === 1 ? '' : 's'}, e.g. ${g.examples.join(', ')}${more}`;
  });
  if (f.other > 0) lines.push(`${f.other} more recipient(s) with other causes`);
  return lines;
}
