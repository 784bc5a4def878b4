/**
 * `segment preview` (and the interactive builder's live count) as both stores give it: SQLite in
 * ./sqlite-repositories.ts (./segment-queries.ts), PostgreSQL in ./pg/segment-preview.ts.
 */
import type { CustomerRow } from './customer-columns.js';
import type { Filter } from './filter.js';

export interface SegmentPreviewStore {
  /** The first `limit` customers matching a resolved filter, in id order, in the shape SQLite gives. */
  preview(filter: Filter, now: Date, limit: number): Promise<CustomerRow[]>;
}
