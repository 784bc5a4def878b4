/**
 * The PostgreSQL schema mirrors the SQLite one: the same tables, the same columns under the
 * same names, nullability and defaults' presence, and the same index names. A column added to
 * one store and forgotten in the other fails here, before any repository reads it.
 */
import { getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../../src/db/pg/schema.js';
import * as sqliteSchema from '../../../src/db/schema.js';

const shape = (cfg: { name: string; columns: Array<{ name: string; notNull: boolean; hasDefault: boolean; primary: boolean }>; indexes: Array<{ config: { name?: string } }> }) => ({
  name: cfg.name,
  columns: cfg.columns.map((c) => ({ name: c.name, notNull: c.notNull, primary: c.primary, hasDefault: c.hasDefault && !c.primary })).sort((a, b) => a.name.localeCompare(b.name)),
  indexes: cfg.indexes.map((i) => i.config.name).sort(),
});

describe('the PostgreSQL schema mirrors SQLite', () => {
  it('has the same tables', () => {
    expect(Object.keys(pgSchema).sort()).toEqual(Object.keys(sqliteSchema).sort());
  });
  it.each(Object.keys(sqliteSchema))('%s: same columns and indexes', (key) => {
    const s = shape(sqliteConfig((sqliteSchema as unknown as Record<string, Parameters<typeof sqliteConfig>[0]>)[key]!));
    const p = shape(pgConfig((pgSchema as unknown as Record<string, Parameters<typeof pgConfig>[0]>)[key]!));
    expect(p).toEqual(s);
  });
});
