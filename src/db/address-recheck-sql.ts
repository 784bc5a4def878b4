/**
 * SQL of the one-time re-check of stored addresses (src/customers/recheck.ts): rows written
 * before the canonical address rule are brought to it, so prepare, the claim-time suppression
 * check and feedback matching compare like with like. The rule's version is kept in
 * `PRAGMA user_version` (drizzle's migrator does not use it), so no schema change is needed.
 */
import type Database from 'better-sqlite3';

/** Bump when the canonical rule changes in a way stored rows must follow. */
export const ADDRESS_RULE_VERSION = 1;

const addressRuleVersion = (sqlite: Database.Database): number => sqlite.pragma('user_version', { simple: true }) as number;
const setAddressRuleVersion = (sqlite: Database.Database, v: number): void => void sqlite.pragma(`user_version = ${Math.trunc(v)}`);

/** The raw connection openStore passes to the re-check before the Store exists. */
export type RecheckConnection = Database.Database;

/** The re-check openStore runs after migrating (src/customers/recheck.ts, passed in by the caller). */
export type StoredAddressRecheck = (connection: RecheckConnection, now: number) => unknown;

/**
 * Runs `body` once per database: unless the stored rule version is current, in one IMMEDIATE
 * transaction that also bumps the version (checked again inside, in case another process did
 * it meanwhile). Returns the body's result, or undefined when there was nothing to do.
 */
export function recheckOnce<T>(sqlite: RecheckConnection, body: (rows: AddressRows) => T): T | undefined {
  if (addressRuleVersion(sqlite) >= ADDRESS_RULE_VERSION) return undefined;
  return sqlite
    .transaction(() => {
      if (addressRuleVersion(sqlite) >= ADDRESS_RULE_VERSION) return undefined;
      const result = body(addressRows(sqlite));
      setAddressRuleVersion(sqlite, ADDRESS_RULE_VERSION);
      return result;
    })
    .immediate();
}

// An ASCII, lower-cased email (what import always stored) is already canonical unless it holds
// an A-label that may be malformed; anything else (non-ASCII, controls) needs the JS rule.
const EMAIL_CANDIDATE = `(email GLOB '*[^ -~]*' OR email GLOB '*xn--*')`;

export interface AddressRows {
  customerEmails(): Array<{ id: number; v: string }>;
  customerPhones(): Iterable<{ id: number; v: string }>;
  readonly setCustomerEmail: (id: number, v: string | null) => void;
  readonly setCustomerPhone: (id: number, v: string | null) => void;
  suppressions(): Array<{ id: number; channel: string; v: string }>;
  /** Moves a suppression to its canonical address; false when that one exists already. */
  moveSuppression(id: number, v: string): boolean;
  deleteSuppression(id: number): void;
  pendingRecipients(): Array<{ id: number; channel: string; v: string }>;
  /** False when the campaign already has the canonical address (a duplicate). */
  setRecipientAddress(id: number, v: string): boolean;
  skipRecipient(id: number, now: number): void;
}

function addressRows(sqlite: Database.Database): AddressRows {
  const setEmail = sqlite.prepare('UPDATE customers SET email = ? WHERE id = ?');
  const setPhone = sqlite.prepare('UPDATE customers SET phone = ? WHERE id = ?');
  const moveSup = sqlite.prepare('UPDATE OR IGNORE suppressions SET address = ? WHERE id = ?');
  const delSup = sqlite.prepare('DELETE FROM suppressions WHERE id = ?');
  const setRcpt = sqlite.prepare('UPDATE OR IGNORE campaign_recipients SET address = ? WHERE id = ?');
  const skip = sqlite.prepare(`UPDATE campaign_recipients SET state = 'skipped', error_code = 'invalid_address', error_message = 'the address is not canonical under the current address rule, or duplicates one that is', updated_at = ? WHERE id = ?`);
  return {
    customerEmails: () => sqlite.prepare(`SELECT id, email AS v FROM customers WHERE email IS NOT NULL AND ${EMAIL_CANDIDATE}`).all() as Array<{ id: number; v: string }>,
    // every stored number: "valid for its region" needs the metadata, SQL cannot pre-filter it
    customerPhones: () => sqlite.prepare('SELECT id, phone AS v FROM customers WHERE phone IS NOT NULL').all() as Array<{ id: number; v: string }>,
    setCustomerEmail: (id, v) => void setEmail.run(v, id),
    setCustomerPhone: (id, v) => void setPhone.run(v, id),
    suppressions: () => sqlite.prepare('SELECT id, channel, address AS v FROM suppressions').all() as Array<{ id: number; channel: string; v: string }>,
    moveSuppression: (id, v) => moveSup.run(v, id).changes === 1,
    deleteSuppression: (id) => void delSup.run(id),
    pendingRecipients: () =>
      sqlite
        .prepare(
          `SELECT r.id, c.channel, r.address AS v FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
           WHERE r.state = 'pending' AND (c.channel <> 'email' OR ${EMAIL_CANDIDATE.replaceAll('email', 'r.address')})`,
        )
        .all() as Array<{ id: number; channel: string; v: string }>,
    setRecipientAddress: (id, v) => setRcpt.run(v, id).changes === 1,
    skipRecipient: (id, now) => void skip.run(now, id),
  };
}
