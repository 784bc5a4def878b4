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
 * so memory stays flat whatever the file size. An unreadable file is an InputError naming it.
 */
export async function* readText(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (first) {
        first = false;
        yield chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      } else {
        yield chunk;
      }
    }
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new InputError('file_unreadable', `${file}: cannot read the file (${code})`, { cause, details: { file } });
  } finally {
    stream.destroy();
  }
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
