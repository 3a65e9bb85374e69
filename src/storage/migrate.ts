// Versioned migrations: migrations/NNN_name.sql applied in order, each in its own transaction
// under an advisory lock (two nodes starting at once do not both apply one), recorded in
// schema_migrations. A database newer than this code is refused rather than written to.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asNumber, type SqlClient } from './sql.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const LOCK_KEY = 0x76666d67; // "vfmg"

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (m === null) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 1, 2, 3, ...: found ${m.version} at position ${i + 1}`);
  });
  return out;
}

/** Applies what is missing; returns the versions applied now. */
export async function migrate(db: SqlClient, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const rows = await tx.query('SELECT version FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const [top] = await db.query<{ v: unknown }>('SELECT max(version) AS v FROM schema_migrations');
  const newest = asNumber(top?.v);
  if (newest > migrations.length) throw new Error(`the database is at migration ${newest}, newer than this code (${migrations.length})`);
  return applied;
}
