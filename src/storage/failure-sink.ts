// The durable sink of permanent failures: what the dead-letter retry actor gave up on, one row each in
// permanent_failures. A binary message (a FlatBuffers envelope) is kept as bytes; anything else as
// JSON text, refs as their paths, bigints as strings, cut at `maxTextBytes`.
import { asBuffer, asBytes, asNumber, type SqlClient } from './sql.ts';

/**
 * A delivery given up on, as the store keeps it: the dead letter and how its redeliveries ended.
 * The dead-letter retry actor's PermanentFailure is one (src/actors/permanent-failure-sink.ts).
 */
export interface FailureToStore {
  readonly letter: {
    readonly recipient: string;
    readonly message: unknown;
    readonly sender: string | undefined;
    readonly reason: string;
    readonly time: number;
    readonly correlationId: number | undefined;
  };
  readonly attempts: number;
  readonly lastResult: string;
  readonly time: number;
}

export interface StoredFailure {
  readonly id: number;
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly reason: string;
  readonly lastResult: string;
  readonly attempts: number;
  readonly correlationId: number | undefined;
  readonly letterTime: number;
  readonly failedTime: number;
  readonly messageBytes: Uint8Array | undefined;
  readonly messageText: string | undefined;
}

export function describeMessage(message: unknown, maxBytes = 64 * 1024): string {
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text =
      JSON.stringify(message, (_k, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'function') return undefined;
        if (v !== null && typeof v === 'object') {
          const maybeRef = v as { path?: unknown; tell?: unknown };
          if (typeof maybeRef.path === 'string' && typeof maybeRef.tell === 'function') return { $ref: maybeRef.path };
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? String(message);
  } catch (error) {
    text = `[unserialisable: ${error instanceof Error ? error.message : String(error)}]`;
  }
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return `${Buffer.from(text).subarray(0, maxBytes).toString('utf8')}...[truncated]`;
}

export class SqlFailureSink {
  constructor(private readonly db: SqlClient) {}

  async record(f: FailureToStore): Promise<void> {
    const m = f.letter.message;
    const bytes = m instanceof Uint8Array ? asBuffer(m) : null;
    await this.db.query(
      `INSERT INTO permanent_failures (recipient, sender, reason, last_result, attempts, correlation_id, letter_time, failed_time, message_bytes, message_text)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        f.letter.recipient,
        f.letter.sender ?? null,
        f.letter.reason,
        f.lastResult,
        f.attempts,
        f.letter.correlationId ?? null,
        f.letter.time,
        f.time,
        bytes,
        bytes === null ? describeMessage(m) : null,
      ],
    );
  }

  /** Newest last; `afterId` pages forward. */
  async list(options: { afterId?: number; limit?: number; recipient?: string } = {}): Promise<StoredFailure[]> {
    const limit = Math.min(Math.max(1, options.limit ?? 100), 10_000);
    const rows = await this.db.query(
      `SELECT * FROM permanent_failures WHERE id > $1 AND ($2::text IS NULL OR recipient = $2) ORDER BY id LIMIT $3`,
      [options.afterId ?? 0, options.recipient ?? null, limit],
    );
    return rows.map((r) => ({
      id: asNumber(r.id),
      recipient: String(r.recipient),
      sender: r.sender === null ? undefined : String(r.sender),
      reason: String(r.reason),
      lastResult: String(r.last_result),
      attempts: asNumber(r.attempts),
      correlationId: r.correlation_id === null ? undefined : asNumber(r.correlation_id),
      letterTime: asNumber(r.letter_time),
      failedTime: asNumber(r.failed_time),
      messageBytes: r.message_bytes === null ? undefined : asBytes(r.message_bytes),
      messageText: r.message_text === null ? undefined : String(r.message_text),
    }));
  }
}
