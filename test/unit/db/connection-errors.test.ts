/**
 * The classification of PostgreSQL trouble (src/db/connection-errors.ts, src/db/faults.ts):
 * what the server says while a connection is being made or lost is an outage to pause and
 * retry through (then 69); a refusal for want of a grant is configuration (78); a refused
 * statement is neither.
 */
import { describe, expect, it } from 'vitest';
import { connectionLostNotice, isConnectionError, isTooManyConnections, unavailableHint } from '../../../src/db/connection-errors.js';
import { storageError, storageFaultCode } from '../../../src/db/faults.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

const OUTAGES = [
  pgError('55000', 'database "mkt" is not currently accepting connections'),
  pgError('53300', 'too many connections for role "mkt_app"'),
  pgError('53300', 'remaining connection slots are reserved for roles with the SUPERUSER attribute'),
  pgError('53000', 'insufficient resources'),
  pgError('57P01', 'terminating connection due to administrator command'),
  pgError('57P03', 'the database system is starting up'),
  pgError('08006', 'connection failure'),
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  new Error('Connection terminated unexpectedly'),
  // pg-pool's connectionTimeoutMillis (src/db/pg/open.ts): a new connection not ready in time, none free in a full pool
  new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }),
  new Error('timeout exceeded when trying to connect'),
];
const REFUSED_STATEMENTS = [
  pgError('55000', 'cannot refresh materialized view concurrently'),
  pgError('23505', 'duplicate key value violates unique constraint'),
  pgError('42501', 'permission denied for table customers'),
  pgError('57014', 'canceling statement due to statement timeout'),
];

describe('connection trouble', () => {
  it('counts connect-time refusals and lost connections as outages, and refused statements not', () => {
    for (const e of OUTAGES) expect(isConnectionError(e), e.message).toBe(true);
    for (const e of REFUSED_STATEMENTS) expect(isConnectionError(e), e.message).toBe(false);
    expect(isConnectionError(Object.assign(new AggregateError([OUTAGES[0]!]), { code: undefined }))).toBe(true);
    // drizzle's wrapper ("Failed query: …") carries the driver's error as its cause
    for (const e of OUTAGES) expect(isConnectionError(new Error('Failed query: update "campaigns" …', { cause: e })), e.message).toBe(true);
    for (const e of REFUSED_STATEMENTS) expect(isConnectionError(new Error('Failed query: …', { cause: e })), e.message).toBe(false);
  });

  it('an outage that reaches the top is 69 (db_unreachable), never 1', () => {
    for (const e of OUTAGES) {
      const typed = storageError(e, 'postgres://u:***@h/db');
      expect(typed?.code, e.message).toBe('db_unreachable');
      expect(exitCodeFor(typed)).toBe(69);
      expect(storageFaultCode(e)).toBe('db_unreachable');
    }
  });

  it('a too-many-connections refusal says so, and that the pool follows concurrency', () => {
    const e = OUTAGES[1]!;
    expect(isTooManyConnections(e)).toBe(true);
    expect(isTooManyConnections(`cannot claim recipients: ${e.message}`)).toBe(true);
    expect(connectionLostNotice(e)).toMatch(/too many connections/);
    expect(unavailableHint(e)).toMatch(/concurrency \+ 4/);
    expect(unavailableHint(OUTAGES[4]!)).not.toMatch(/too many/);
    expect(connectionLostNotice(OUTAGES[4]!)).toMatch(/lost the connection/);
  });

  it('insufficient_privilege (42501) anywhere is a configuration error (78) naming the owner role', () => {
    const typed = storageError(pgError('42501', 'permission denied for schema public'), 'postgres://u:***@h/db');
    expect(typed?.code).toBe('db_permission_denied');
    expect(exitCodeFor(typed)).toBe(78);
    expect(typed?.hint).toMatch(/owner role/);
    expect(storageFaultCode(pgError('42501', 'permission denied for table campaign_recipients'))).toBe('db_permission_denied');
  });
});
