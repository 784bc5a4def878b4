import { countCustomerRows, listCustomerRows } from '../db/customers.js';
import type { Store } from '../db/open.js';
import { toRecord, type CustomerRecord } from './record.js';

export function countCustomers(store: Store): number {
  return countCustomerRows(store);
}

export function listCustomers(store: Store, limit: number, offset = 0): CustomerRecord[] {
  return listCustomerRows(store, limit, offset).map(toRecord);
}
