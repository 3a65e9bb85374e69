// SqlClient on the embedded PGlite (PostgreSQL compiled to WebAssembly): the default when no
// DATABASE_URL is set. One connection; PGlite queues concurrent queries itself.
import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQueryable, SqlRow } from './sql.ts';

/** `dataDir` undefined: in memory (tests). */
export async function pgliteClient(dataDir?: string): Promise<SqlClient> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  const on = (c: Pick<PGlite, 'query' | 'exec'>): SqlQueryable => ({
    async query<R extends SqlRow>(text: string, params?: readonly unknown[]) {
      const r = await c.query<R>(text, params as unknown[] | undefined);
      return r.rows;
    },
    async exec(sql: string) {
      await c.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...on(db),
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) => db.transaction((tx) => fn(on(tx))),
    // One in-process connection and no server that outlives a crash: nothing to fence.
    writerSession: async () => ({ ...on(db), close: async () => undefined }),
    close: () => db.close(),
  };
}
