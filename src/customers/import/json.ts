import { malformed, readText } from './text.js';
import { oneByOne, type RawRow, type Source } from './source.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one JSON text; a syntax error names the line inside the file (`startLine` + offset). */
function parseAt(file: string, text: string, startLine: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const pos = /position (\d+)/.exec((error as Error).message);
    const offset = pos ? text.slice(0, Number(pos[1])).split('\n').length - 1 : 0;
    const reason = (error as Error).message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    throw malformed({ file, line: startLine + offset }, `invalid JSON: ${reason}`);
  }
}

/**
 * JSON Lines: one object per line; blank lines are skipped. A line that is not valid JSON or not
 * an object is a structural error (the whole import fails naming the line).
 */
export function openJsonLines(file: string): Source {
  async function* chunks(): AsyncGenerator<RawRow[]> {
    let line = 0;
    for await (const texts of lines(readText(file))) {
      const rows: RawRow[] = [];
      try {
        for (const text of texts) {
          line++;
          if (text.trim() === '') continue;
          const value = parseAt(file, text, line);
          if (!isObject(value)) throw malformed({ file, line }, 'expected a JSON object on this line');
          rows.push({ line, object: value });
        }
      } catch (error) {
        if (rows.length > 0) yield rows; // the rows before a broken line come first
        throw error;
      }
      if (rows.length > 0) yield rows;
    }
  }
  return { chunks: chunks() };
}

/**
 * Text chunks → the lines each completes (LF or CRLF). A pull-based generator rather than
 * node:readline, whose async iterator keeps reading ahead of a slow consumer: memory must stay flat.
 */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk;
    const done: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      done.push(text.charCodeAt(nl - 1) === 0x0d ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    if (done.length > 0) yield done;
  }
  if (rest !== '') yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

const enum S {
  BeforeArray,
  BeforeElement, // after `[` or `,`
  InElement,
  AfterElement,
  Done,
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * A JSON array of objects, streamed: a small scanner splits the top-level array into its
 * elements (tracking strings, escapes and nesting) and each element is parsed on its own, so a
 * file of a million objects never sits in memory at once. Errors name the element's line.
 */
export function openJsonArray(file: string): Source {
  async function* rows(): AsyncGenerator<RawRow> {
    let state = S.BeforeArray as S;
    let line = 1;
    let parts: string[] = [];
    let elementLine = 0;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let count = 0;
    let arrayLine = 1;

    const finish = (): RawRow => {
      const text = parts.join('');
      parts = [];
      const value = parseAt(file, text, elementLine);
      if (!isObject(value)) throw malformed({ file, line: elementLine }, 'expected an object as array element');
      count++;
      return { line: elementLine, object: value };
    };

    for await (const chunk of readText(file)) {
      // where the current element's text begins in this chunk (an element continued from the
      // previous chunk begins at its first character)
      let start = state === S.InElement ? 0 : -1;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (state === S.InElement) {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 0x5c) escaped = true;
            else if (c === 0x22) inString = false;
            else if (c === 0x0a) line++;
            continue;
          }
          if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            if (depth === 0) {
              // `]` closing the outer array right after a scalar element
              parts.push(chunk.slice(start, i));
              yield finish();
              state = S.Done;
              start = -1;
              continue;
            }
            depth--;
          } else if (depth === 0 && (c === 0x2c || WS.has(c))) {
            parts.push(chunk.slice(start, i));
            start = -1;
            yield finish();
            state = c === 0x2c ? S.BeforeElement : S.AfterElement;
            if (c === 0x0a) line++;
            continue;
          } else if (c === 0x0a) line++;
          continue;
        }
        if (c === 0x0a) line++;
        if (WS.has(c)) continue;
        if (state === S.BeforeArray) {
          if (c !== 0x5b) throw malformed({ file, line }, 'expected a JSON array of objects (`[`)');
          arrayLine = line;
          state = S.BeforeElement;
        } else if (state === S.BeforeElement) {
          if (c === 0x5d && count === 0 && parts.length === 0) {
            state = S.Done; // `[]`
            continue;
          }
          if (c === 0x5d || c === 0x2c) throw malformed({ file, line }, 'invalid JSON: expected a value');
          state = S.InElement;
          elementLine = line;
          start = i;
          depth = 0;
          if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth = 1;
          // an element closed within the same character (`{}`) is handled on the next characters
        } else if (state === S.AfterElement) {
          if (c === 0x2c) state = S.BeforeElement;
          else if (c === 0x5d) state = S.Done;
          else throw malformed({ file, line }, 'invalid JSON: expected `,` or `]` after an array element');
        } else {
          throw malformed({ file, line }, 'invalid JSON: unexpected text after the array');
        }
      }
      if (state === S.InElement && start !== -1) parts.push(chunk.slice(start));
    }
    if (state === S.BeforeArray) throw malformed({ file, line }, 'empty file: expected a JSON array');
    if (state === S.InElement) throw malformed({ file, line: elementLine }, 'invalid JSON: this element is not closed (unexpected end of file)');
    if (state !== S.Done) throw malformed({ file, line: arrayLine }, 'invalid JSON: the array opened here is not closed (unexpected end of file)');
  }
  return { chunks: oneByOne(rows()) };
}
