// Encodes and decodes the Envelope, the FlatBuffers root of every message between processes.
// decodeEnvelope never throws: untrusted bytes are verified (structure, then semantics) before the
// zero-copy generated accessor is handed out, and anything unexpected becomes an INTERNAL error.
import { Builder, ByteBuffer } from 'flatbuffers';
import { fail, internal, ok, type Result } from '../errors.ts';
import { Envelope, EnvelopeT } from '../generated/vf/envelope.ts';
import { HlcT } from '../generated/vf/hlc.ts';
import { layout } from '../generated/layout.ts';
import { DEFAULT_LIMITS, VerifyError, verifyBuffer, type VerifyLimits } from '../verify/verify-buffer.ts';
import { checkSemantics } from './semantic.ts';
import { payloadTypeOf, type PayloadT } from './payload-type.ts';

export const PROTOCOL_VERSION = 1;
export const ENVELOPE_IDENTIFIER = 'VFEN';

export interface HlcStamp {
  /** Wall-clock milliseconds since the Unix epoch. */
  readonly wallMs: number;
  readonly logical: number;
  readonly node: number;
}

export interface OutgoingEnvelope {
  readonly seq: number;
  readonly correlationId?: number;
  readonly sender?: string;
  readonly recipient?: string;
  readonly hlc?: HlcStamp;
  readonly payload: PayloadT;
}

function u64(name: string, n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a safe non-negative integer, got ${n}`);
  return BigInt(n);
}

const builder = new Builder(1024);

/** Encodes one message. Throws (RangeError, TypeError) only on programming errors of the caller. */
export function encodeEnvelope(msg: OutgoingEnvelope): Uint8Array {
  const env = new EnvelopeT(
    PROTOCOL_VERSION,
    u64('seq', msg.seq),
    u64('correlationId', msg.correlationId ?? 0),
    msg.sender ?? null,
    msg.recipient ?? null,
    msg.hlc === undefined ? null : new HlcT(u64('hlc.wallMs', msg.hlc.wallMs), msg.hlc.logical, msg.hlc.node),
    payloadTypeOf(msg.payload),
    msg.payload,
  );
  builder.clear();
  builder.finish(env.pack(builder), ENVELOPE_IDENTIFIER);
  // The builder is reused; the caller owns the copy.
  return builder.asUint8Array().slice();
}

/**
 * Verifies untrusted bytes and returns the zero-copy accessor over them. The bytes must not be
 * mutated while the accessor is in use. Input that is not 8-byte aligned is copied once so that the
 * generated typed-array accessors can view it.
 */
export function decodeEnvelope(bytes: Uint8Array, limits: VerifyLimits = DEFAULT_LIMITS): Result<Envelope> {
  try {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    verifyBuffer(aligned, layout, limits);
    const env = Envelope.getRootAsEnvelope(new ByteBuffer(aligned));
    if (env.version() !== PROTOCOL_VERSION) {
      return fail('UNSUPPORTED_VERSION', `protocol version ${env.version()}, expected ${PROTOCOL_VERSION}`);
    }
    const semantic = checkSemantics(env);
    return semantic === null ? ok(env) : { ok: false, error: semantic };
  } catch (err) {
    if (err instanceof VerifyError) return fail(err.code, err.message);
    return internal(err);
  }
}

/** decodeEnvelope, then the object-API copy of the whole message (convenient, not for hot paths). */
export function unpackEnvelope(bytes: Uint8Array, limits: VerifyLimits = DEFAULT_LIMITS): Result<EnvelopeT> {
  const decoded = decodeEnvelope(bytes, limits);
  if (!decoded.ok) return decoded;
  try {
    return ok(decoded.value.unpack());
  } catch (err) {
    return internal(err);
  }
}
