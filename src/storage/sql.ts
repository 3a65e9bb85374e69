// The little SQL the storage layer needs, behind one interface that both PostgreSQL (`pg`) and
// the embedded PGlite implement with the same statements. Rows come back as the driver gives
// them; `asNumber` and `asBytes` smooth the two drivers' differences (int8 as string or number,
// bytea as Buffer or Uint8Array).
import type { WriterLockOptions } from './writer-lock.ts';

export type SqlRow = Record<string, unknown>;

export interface SqlQueryable {
  query<R extends SqlRow = SqlRow>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * A connection of its own that holds the store's writer lock until closed (writer-lock.ts):
   * the journal writes through it and nothing else does.
   */
  writerSession(options: WriterLockOptions): Promise<WriterSession>;
  close(): Promise<void>;
}

export interface WriterSession extends SqlQueryable {
  /** The server process behind the connection (PostgreSQL), to tell this process's own lock holder from another's. */
  readonly backendPid?: number;
  close(): Promise<void>;
}

export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  if (v === null || v === undefined) return 0;
  throw new TypeError(`expected a number from the database, got ${typeof v}`);
}

export function asBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`expected bytes from the database, got ${typeof v}`);
}

/** A Uint8Array as a Buffer over the same memory (pg sends Buffers as binary parameters). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
