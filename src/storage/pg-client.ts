// SqlClient on a real PostgreSQL server through a small `pg` pool.
import pg from 'pg';
import type { SqlClient, SqlQueryable, SqlRow } from './sql.ts';

export function pgClient(connectionString: string, poolSize = 4): SqlClient {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client's connection dropping must not crash the process: the next query reports it.
  pool.on('error', () => undefined);
  const on = (c: pg.Pool | pg.PoolClient): SqlQueryable => ({
    async query<R extends SqlRow>(text: string, params?: readonly unknown[]) {
      const r = await c.query(text, params as unknown[] | undefined);
      return r.rows as R[];
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  return {
    kind: 'postgres',
    ...on(pool),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(on(client));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch {
          client.release(true);
        }
        throw error;
      }
    },
    close: () => pool.end(),
  };
}
