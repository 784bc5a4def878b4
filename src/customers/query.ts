import { countCustomerRows, listCustomerRows } from '../db/customers.js';
import type { Store } from '../db/open.js';
import type { CustomerStore } from '../db/repositories.js';
import { toRecord, type CustomerRecord } from './record.js';

export function countCustomers(store: Store): number {
  return countCustomerRows(store);
}

export function listCustomers(store: Store, limit: number, offset = 0): CustomerRecord[] {
  return listCustomerRows(store, limit, offset).map(toRecord);
}

/** A page of customers in id order from a store of either kind. */
export async function customerPage(customers: Pick<CustomerStore, 'list'>, limit: number, offset = 0): Promise<CustomerRecord[]> {
  return (await customers.list(limit, offset)).map(toRecord);
}
