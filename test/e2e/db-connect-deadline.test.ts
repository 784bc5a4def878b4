/**
 * Every PostgreSQL open has a connect deadline (MKT_DB_CONNECT_S, README "PostgreSQL"): a server
 * that accepts TCP and never answers (a hung server, a firewall that swallows the packets after
 * the handshake) is an outage, exit 69 naming host:port and never the password, not a command
 * that waits forever. The "server" here is a node:net listener on 127.0.0.1 that takes each
 * connection and says nothing; no PostgreSQL is needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';

const PASSWORD = 'deadline-Only-Password-3';
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-connect-deadline-'));
const sockets = new Set<net.Socket>();
let accepted = 0;
let silent: net.Server;
let url: string;
let hostPort: string;

beforeAll(async () => {
  silent = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // read and drop the startup packet: never a byte back
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  hostPort = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  url = `postgres://mkt:${PASSWORD}@${hostPort}/mkt`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('connect deadline on PostgreSQL', { timeout: 60_000 }, () => {
  it('a server that accepts and never answers: customers count exits 69 at the deadline, host:port named, no password', async () => {
    const before = accepted;
    // killed at 20 s (code -1): without a deadline the command waits forever
    const r = await runCliAsync(['customers', 'count', '--json'], { cwd: dir, env: { MKT_DB: url, MKT_DB_CONNECT_S: '1' }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(69);
    expect(accepted).toBeGreaterThan(before);
    const error = JSON.parse(r.stderr.trim().split('\n').pop()!).error;
    expect(error.code).toBe('db_unreachable');
    expect(error.message).toContain(hostPort);
    expect(error.message).toMatch(/did not answer within 1 s/);
    expect(error.hint).toContain('MKT_DB_CONNECT_S');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('the same in text mode, with --verbose: the password is nowhere', async () => {
    const r = await runCliAsync(['--verbose', 'customers', 'list'], { cwd: dir, env: { MKT_DB: url, MKT_DB_CONNECT_S: '1' }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(69);
    expect(r.stderr).toContain(hostPort);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it.each(['0', '1.5', '-3', 'ten', '10s', '9999999'])('MKT_DB_CONNECT_S=%s is a configuration error (78) before any connection', async (value) => {
    const before = accepted;
    const r = await runCliAsync(['customers', 'count', '--json'], { cwd: dir, env: { MKT_DB: url, MKT_DB_CONNECT_S: value }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(78);
    expect(JSON.parse(r.stderr).error.code).toBe('bad_connect_deadline');
    expect(accepted).toBe(before);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
