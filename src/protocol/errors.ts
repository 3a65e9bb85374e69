// The one error type of the protocol layer: decoding untrusted bytes returns it, never throws.

export type ProtocolErrorCode =
  | 'TOO_SHORT'
  | 'TOO_LARGE'
  | 'BAD_IDENTIFIER'
  | 'OUT_OF_BOUNDS'
  | 'MISALIGNED'
  | 'BAD_VTABLE'
  | 'MISSING_FIELD'
  | 'UNKNOWN_UNION'
  | 'UNKNOWN_ENUM'
  | 'TOO_LONG'
  | 'BAD_UTF8'
  | 'NOT_FINITE'
  | 'OUT_OF_RANGE'
  | 'TOO_DEEP'
  | 'TOO_COMPLEX'
  | 'INCONSISTENT'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_PLATFORM'
  | 'INTERNAL';

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(code: ProtocolErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** Turns anything thrown into a result: the last line of defence of every decode entry point. */
export function internal<T>(err: unknown): Result<T> {
  return fail('INTERNAL', err instanceof Error ? err.message : String(err));
}
