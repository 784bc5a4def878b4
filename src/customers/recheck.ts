/**
 * Brings addresses stored under an older rule to the canonical one (customers/address.ts),
 * once per database: customers, suppressions and not-yet-sent ledger rows. Without it a
 * customer imported as `bob@bücher.example` would never match the A-label suppression SES
 * reports, and a number the rule now refuses (`+4912345`) would still be sent to.
 *
 *   customers       rewritten to the canonical form; an address the rule refuses is cleared
 *                   (as import would have dropped it; re-import the file to see each warning)
 *   suppressions    rewritten; never deleted unless the canonical entry already exists
 *   pending ledger  rewritten; refused or duplicate addresses are skipped (`invalid_address`)
 *
 * Runs inside one transaction with the version bump, so it happens exactly once.
 */
import { isChannel } from '../channels.js';
import { recheckOnce, type RecheckConnection } from '../db/address-recheck-sql.js';
import { normaliseAddress } from './address.js';

export interface RecheckResult {
  updated: number;
  cleared: number;
  skipped: number;
}

export function recheckStoredAddresses(connection: RecheckConnection, now: number): RecheckResult | undefined {
  return recheckOnce(connection, (rows) => {
    const result: RecheckResult = { updated: 0, cleared: 0, skipped: 0 };
    const fix = (list: Iterable<{ id: number; v: string }>, kind: 'email' | 'phone', set: (id: number, v: string | null) => void) => {
      for (const r of list) {
        const canonical = normaliseAddress(kind, r.v) ?? null;
        if (canonical === r.v) continue;
        set(r.id, canonical);
        result[canonical === null ? 'cleared' : 'updated']++;
      }
    };
    fix(rows.customerEmails(), 'email', rows.setCustomerEmail);
    fix(rows.customerPhones(), 'phone', rows.setCustomerPhone);
    for (const s of rows.suppressions()) {
      const canonical = isChannel(s.channel) ? normaliseAddress(s.channel, s.v) : undefined;
      if (canonical === undefined || canonical === s.v) continue; // an opt-out is kept even in a form no customer can have
      if (!rows.moveSuppression(s.id, canonical)) rows.deleteSuppression(s.id); // the canonical entry exists
      result.updated++;
    }
    for (const r of rows.pendingRecipients()) {
      const canonical = isChannel(r.channel) ? normaliseAddress(r.channel, r.v) : undefined;
      if (canonical === r.v) continue;
      if (canonical !== undefined && rows.setRecipientAddress(r.id, canonical)) result.updated++;
      else {
        rows.skipRecipient(r.id, now);
        result.skipped++;
      }
    }
    return result;
  });
}
