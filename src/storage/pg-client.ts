// SqlClient on a real PostgreSQL server through a small `pg` pool, plus the journal writer's own
// connection outside the pool (a pooled one could be swapped under the writer lock it holds).
import pg from 'pg';
import type { SqlClient, SqlQueryable, SqlRow, WriterSession } from './sql.ts';
import { takeWriterLock, type WriterLockOptions } from './writer-lock.ts';

export function pgClient(connectionString: string, poolSize = 4): SqlClient {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client's connection dropping must not crash the process: the next query reports it.
  pool.on('error', () => undefined);
  const on = (c: pg.Pool | pg.PoolClient | pg.Client): SqlQueryable => ({
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
    async writerSession(options: WriterLockOptions): Promise<WriterSession> {
      const client = new pg.Client({ connectionString, application_name: 'visionflow-journal' });
      // A dropped connection must not crash the process: the next query reports it.
      client.on('error', () => undefined);
      await client.connect();
      try {
        await takeWriterLock(on(client), options);
        const who = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        return { ...on(client), backendPid: Number(who.rows[0]?.pid), close: () => client.end() };
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
    },
    close: () => pool.end(),
  };
}
