/**
 * A private PostgreSQL cluster for the scenario that restarts the server: initdb in a temp dir
 * as the postgres user, on a port of its own, trust auth on 127.0.0.1 only. It is never the
 * shared cluster on 5432 (other test runs use that one). `stop` removes it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  url: string;
  /** `pg_ctl restart -m fast`: every connection is closed (57P01), then the server comes back. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the server is down (connections refused) until `start`; its data stays. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /**
   * SIGSTOP to the postmaster and every backend: the server stops answering (connections stay
   * open and the kernel still takes their bytes, nothing is refused), the way a hung host or a
   * network that drops packets looks to a client. `thaw` (SIGCONT) lets it run on.
   */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** The postmaster of a data directory and its descendants (backends, background workers), from /proc. */
function clusterPids(data: string): number[] {
  const file = path.join(data, 'postmaster.pid');
  if (!existsSync(file)) return [];
  const root = Number(readFileSync(file, 'utf8').split('\n')[0]);
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // the field after the parenthesised command name: state, then ppid
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parent) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

function signalCluster(data: string, signal: NodeJS.Signals): void {
  for (const pid of clusterPids(data)) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const asPostgres = (cmd: string) => execFileSync('su', ['postgres', '-c', cmd], { stdio: 'pipe', timeout: 60_000 });
/**
 * The same, without blocking this process: the fakes a scenario talks to (SES, serve's peers)
 * live in the test process, and a synchronous restart froze them too, so no worker met the outage
 * (every one was waiting on the frozen fake, not on PostgreSQL).
 */
const asPostgresAsync = async (cmd: string) => {
  await promisify(execFile)('su', ['postgres', '-c', cmd], { timeout: 60_000 });
};

/** A running private cluster, or undefined where it cannot be made (no binaries, not root). */
export async function privatePostgres(): Promise<PrivatePostgres | undefined> {
  if (!existsSync(path.join(BIN, 'initdb')) || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const ctlCmd = (action: string) => `${BIN}/pg_ctl -D ${data} -l ${dir}/log -w -t 60 -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1" ${action}`;
  const ctl = (action: string) => asPostgres(ctlCmd(action));
  const ctlAsync = (action: string) => asPostgresAsync(ctlCmd(action));
  try {
    asPostgres(`${BIN}/initdb -D ${data} -A trust -U postgres --no-sync >/dev/null`);
    ctl('start');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctlAsync('-m fast restart'),
    halt: () => ctlAsync('-m fast stop'),
    start: () => ctlAsync('start'),
    freeze: () => signalCluster(data, 'SIGSTOP'),
    thaw: () => signalCluster(data, 'SIGCONT'),
    stop: async () => {
      try {
        // a test that failed while the server was frozen: pg_ctl would wait for it forever
        signalCluster(data, 'SIGCONT');
        // a test that failed while the server was halted leaves nothing to stop
        if (existsSync(path.join(data, 'postmaster.pid'))) await ctlAsync('-m immediate stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
