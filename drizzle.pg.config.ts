import { defineConfig } from 'drizzle-kit';

// The PostgreSQL store's migrations, next to SQLite's (drizzle.config.ts): `npm run db:generate:pg`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg/schema.ts',
  out: './drizzle/pg',
});
