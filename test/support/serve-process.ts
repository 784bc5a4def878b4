/**
 * `mkt serve` as its own process (the built CLI), for e2e tests, and raw HTTP over a socket for
 * requests fetch refuses to send (`//a:b`, bad methods, hand-made chunked bodies).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { BIN, cliEnv } from './cli.js';

export interface ServeProcess {
  base: string;
  port: number;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (its log). */
  log(): string;
  exited(): boolean;
  stop(): Promise<number | null>;
}

/** Starts `mkt serve` on `port` (default: any free one). */
export async function startServe(dir: string, env: NodeJS.ProcessEnv, port = 0): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--json'], { cwd: dir, env: cliEnv(env) });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  child.stderr.on('data', (d) => (err += d));
  child.on('exit', (code) => (exitCode = code));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve(JSON.parse(out).listening);
        clearTimeout(timer);
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return {
    base,
    port: Number(new URL(base).port),
    child,
    log: () => err,
    exited: () => exitCode !== undefined,
    stop: () =>
      new Promise((resolve) => {
        if (exitCode !== undefined) return resolve(exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Sends bytes as they are and returns what came back until the server closed (or the timeout). */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.write(request);
  });
}

/** The final status of a raw response (after any 100 Continue), or undefined when none came. */
export function statusOf(response: string): number | undefined {
  const m = /^(?:HTTP\/1\.1 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)*HTTP\/1\.1 (\d{3})/.exec(response);
  return m ? Number(m[1]) : undefined;
}
