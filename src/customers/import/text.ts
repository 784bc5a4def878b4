import { createReadStream } from 'node:fs';
import { InputError, formatPosition, type SourcePosition } from '../../errors.js';

/**
 * A structural problem in an import file (or a `--strict` failure, code `import_strict`): the
 * whole import fails (exit 65) naming `file:line`.
 */
export function malformed(pos: SourcePosition, what: string, code = 'import_malformed'): InputError {
  return new InputError(code, `${formatPosition(pos)}: ${what}`, {
    hint: 'nothing was imported; fix the file and run the import again',
    details: { file: pos.file, ...(pos.line === undefined ? {} : { line: pos.line }) },
  });
}

/**
 * The file as UTF-8 text chunks, byte-order mark removed. Reading is streamed (64 KiB chunks)
 * so memory stays flat whatever the file size. An unreadable file is an InputError naming it;
 * so are bytes that are not UTF-8 and NUL bytes (a UTF-16 export, or a binary file): silently
 * replacing them would store damaged names and addresses.
 */
export async function* readText(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  const decoder = new TextDecoder('utf-8', { fatal: true }); // drops a leading BOM itself
  let lines = 1; // the line the next chunk starts on, for messages
  const check = (text: string) => {
    const nul = text.indexOf('\0');
    if (nul !== -1) throw malformed({ file, line: lines + countNewlines(text, nul) }, 'contains a NUL byte: not UTF-8 text (a UTF-16 or binary file?); save it as UTF-8 CSV / JSON');
    lines += countNewlines(text, text.length);
    return text;
  };
  try {
    for await (const buf of stream as AsyncIterable<Buffer>) {
      let text: string;
      try {
        text = decoder.decode(buf, { stream: true });
      } catch {
        // the valid prefix decodes the same without `fatal`; the first U+FFFD is where it broke
        const lossy = new TextDecoder('utf-8').decode(buf);
        const at = lossy.indexOf('\uFFFD');
        throw malformed({ file, line: lines + countNewlines(lossy, at === -1 ? lossy.length : at) }, 'is not valid UTF-8 (save the file as UTF-8)');
      }
      if (text) yield check(text);
    }
    const rest = decoder.decode();
    if (rest) yield check(rest);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    if (cause instanceof TypeError) throw malformed({ file, line: lines }, 'ends inside a UTF-8 character (save the file as UTF-8)');
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new InputError('file_unreadable', `${file}: cannot read the file (${code})`, { cause, details: { file } });
  } finally {
    stream.destroy();
  }
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Text chunks with Windows (CRLF) line ends turned into LF, also across chunk boundaries.
 * The CSV parser's line counting is only exact with LF, and values keep one newline style.
 */
export async function* lfOnly(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    let text = carry + chunk;
    carry = '';
    if (text.endsWith('\r')) {
      carry = '\r';
      text = text.slice(0, -1);
    }
    yield text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text;
  }
  if (carry) yield carry;
}
