/** `segment preview` on PostgreSQL (../segment-preview-store.ts): the twin of ../segment-sql.ts's previewSql. */
import type pg from 'pg';
import type { SegmentPreviewStore } from '../segment-preview-store.js';
import { PG_CUSTOMER_ROW_COLUMNS, toRow } from './customer-rows.js';
import { filterToPgSql } from './segment-sql.js';

export function pgSegmentPreviewStore(pool: pg.Pool): SegmentPreviewStore {
  return {
    preview: async (filter, now, limit) => {
      const where = filterToPgSql(filter, now);
      const r = await pool.query<Parameters<typeof toRow>[0]>(`SELECT ${PG_CUSTOMER_ROW_COLUMNS} FROM customers c WHERE ${where.text} ORDER BY c.id LIMIT $${where.params.length + 1}`, [
        ...where.params,
        limit,
      ]);
      return r.rows.map(toRow);
    },
  };
}
