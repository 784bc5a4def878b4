/**
 * The one Liquid set-up every channel shares. liquidjs is loaded lazily (start-up rule) and
 * configured so a template can neither reach the file system nor walk prototypes:
 * - partials come from an in-memory map of `templates/partials/` read once, so `{% include %}`
 *   cannot name any other file (`/etc/passwd`, `../x` simply are not in the map);
 * - ownPropertyOnly: `constructor`, `__proto__` are not properties of our data, so they are
 *   missing variables (an error under strictVariables), never functions or prototypes;
 * - strictVariables + lenientIf: a missing variable is an error unless tested by `if` or
 *   given a `default` filter; strictFilters: an unknown filter is a parse error;
 * - parse/render/memory limits bound what one template or one render may cost.
 * Templates are parsed once; each recipient is one synchronous renderSync.
 */
import type { Liquid, Template } from 'liquidjs';
import { RenderError } from './contract.js';
import type { Diagnostics } from './diagnostics.js';
import { CAMPAIGN_KEYS, knownRoots } from './variables.js';
import type { Channel } from '../channels.js';

export type LiquidMode = 'html' | 'text';

export interface Engines {
  html: Liquid;
  text: Liquid;
}

/** Where a piece of Liquid starts in its file, to turn liquidjs positions into file positions. */
export interface Origin {
  file: string;
  line: number;
  col: number;
  /** The Liquid sits in generated text (MJML's HTML output): its positions are not file positions. */
  generated?: boolean;
}

export const LIMITS = {
  /** Characters one parse() may read (template plus partials). */
  parse: 1_000_000,
  /** Milliseconds one render may take. */
  render: 1_000,
  /** Allocation units one render may use (array/string building in filters and loops). */
  memory: 10_000_000,
};

export async function createEngines(partials: Record<string, string>): Promise<Engines> {
  return { html: await createEngine(partials, 'html'), text: await createEngine(partials, 'text') };
}

/**
 * One engine. `outputGuard` (text mode only) sees every value an output is about to write and may
 * throw; email's one-pass HTML+text render uses it to refuse values holding its marker characters.
 */
export async function createEngine(partials: Record<string, string>, mode: LiquidMode, outputGuard?: (value: unknown) => unknown): Promise<Liquid> {
  const { Liquid } = await import('liquidjs');
  return new Liquid({
    templates: partials,
    relativeReference: false,
    strictVariables: true,
    lenientIf: true,
    strictFilters: true,
    ownPropertyOnly: true,
    parseLimit: LIMITS.parse,
    renderLimit: LIMITS.render,
    memoryLimit: LIMITS.memory,
    // text channels (SMS, WhatsApp, subject, plain-text part) must not see HTML entities
    // liquidjs types outputEscape as returning a string, but only hands the result to its emitter,
    // which stringifies whatever it gets: a guard that returns the value as is changes no output
    ...(mode === 'html' ? { outputEscape: 'escape' as const } : outputGuard ? { outputEscape: outputGuard as (value: unknown) => string } : {}),
    timezoneOffset: 0,
    // partials are parsed on first use and kept: without it every {% include %} re-parses per recipient
    cache: true,
  });
}

/** Maps a liquidjs (line, col) inside a snippet to the file. */
function mapPosition(origin: Origin, line: number, col: number): { line: number; col: number } {
  return { line: origin.line + line - 1, col: line === 1 ? origin.col + col - 1 : col };
}

function liquidPosition(error: unknown): [number, number] | undefined {
  const token = (error as { token?: { getPosition?: () => [number, number] } }).token;
  try {
    return token?.getPosition?.();
  } catch {
    return undefined;
  }
}

/** The message of a liquidjs error without its appended ", file:…, line:…" position. */
function bareMessage(error: unknown): string {
  const e = error as { originalError?: Error; message?: string };
  const msg = e.originalError?.message ?? e.message ?? String(error);
  return msg.replace(/, (file:|line:).*$/s, '');
}

/** A parsed Liquid snippet with what static analysis found in it. */
export interface ParsedLiquid {
  templates: Template[];
  origin: Origin;
  /** Root names (and dotted paths) referenced from outside the template, with their file position. */
  globals: Array<{ path: string; root: string; segments: Array<string | number>; line: number; col: number; file: string }>;
}

/** Parses Liquid, reporting a syntax error (or an unknown filter) at its file position. */
export function parseLiquid(engine: Liquid, source: string, origin: Origin, diags: Diagnostics): ParsedLiquid | undefined {
  let templates: Template[];
  try {
    templates = engine.parse(source, origin.file);
  } catch (error) {
    const pos = liquidPosition(error);
    const p = pos ? mapPosition(origin, pos[0], pos[1]) : { line: origin.line, col: origin.col };
    diags.error(origin.file, `Liquid: ${bareMessage(error)}`, p.line, p.col);
    return undefined;
  }
  const globals: ParsedLiquid['globals'] = [];
  try {
    const analysis = engine.analyzeSync(templates, { partials: true });
    for (const [, vars] of Object.entries(analysis.globals)) {
      for (const v of vars) {
        const segments = v.segments.map((s) => (typeof s === 'object' ? String(s) : s));
        const inPartial = v.location.file !== undefined && v.location.file !== origin.file;
        const p = inPartial ? { line: v.location.row, col: v.location.col } : mapPosition(origin, v.location.row, v.location.col);
        globals.push({ path: v.toString(), root: String(segments[0]), segments, ...p, file: inPartial ? `templates/partials/${v.location.file}` : origin.file });
      }
    }
  } catch (error) {
    // analysis loads partials: a missing partial shows here with the include's position
    const pos = liquidPosition(error);
    const p = pos ? mapPosition(origin, pos[0], pos[1]) : { line: origin.line, col: origin.col };
    diags.error(origin.file, `Liquid: ${bareMessage(error)}`, p.line, p.col);
    return undefined;
  }
  return { templates, origin, globals };
}

/** Reports variables no recipient can ever have: an unknown top-level name or campaign key. */
export function checkVariables(parsed: ParsedLiquid, channel: Channel, diags: Diagnostics): void {
  const roots = knownRoots(channel);
  const seen = new Set<string>();
  for (const g of parsed.globals) {
    const key = `${g.file}:${g.line}:${g.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!roots.has(g.root)) {
      const hint = g.root === 'unsubscribe_url' ? ' (only email templates have unsubscribe_url)' : '';
      diags.error(g.file, `unknown variable "${g.root}"${hint}; known: ${[...roots].sort().join(', ')}, attributes.*`, g.line, g.col);
    } else if (g.root === 'campaign' && g.segments.length > 1 && !CAMPAIGN_KEYS.has(String(g.segments[1]))) {
      diags.error(g.file, `unknown variable "${g.path}"; campaign has name and id`, g.line, g.col);
    }
  }
}

/** The file position where a variable path (e.g. "attributes.coupon") is first used. */
export function locate(parsed: ParsedLiquid[], path: string): { file: string; line: number; col: number } | undefined {
  const root = path.split(/[.[]/)[0];
  let byRoot: { file: string; line: number; col: number } | undefined;
  for (const p of parsed) {
    for (const g of p.globals) {
      if (g.path === path) return g;
      if (!byRoot && g.root === root) byRoot = g;
    }
  }
  return byRoot;
}

/**
 * Renders one parsed snippet for one recipient. Any failure becomes a RenderError naming the
 * template position; a missing variable names the variable (code `missing_variable`).
 */
export function renderLiquid(engine: Liquid, parsed: ParsedLiquid, scope: object, sources: ParsedLiquid[] = [parsed]): string {
  try {
    return engine.renderSync(parsed.templates, scope) as string;
  } catch (error) {
    const message = bareMessage(error);
    const missing = /undefined variable: ([^\s,]+)/.exec(message);
    if (missing) {
      const name = missing[1]!;
      const where = locate(sources, name);
      const at = where ? `${where.file}:${where.line}:${where.col}` : parsed.origin.file;
      throw new RenderError(`${at}: missing variable "${name}" (give it a default: {{ ${name} | default: "…" }})`, 'missing_variable');
    }
    const pos = liquidPosition(error);
    const origin = parsed.origin;
    const at = pos && !origin.generated ? `${origin.file}:${mapPosition(origin, pos[0], pos[1]).line}:${mapPosition(origin, pos[0], pos[1]).col}` : origin.file;
    throw new RenderError(`${at}: ${message}`, 'render_failed');
  }
}
