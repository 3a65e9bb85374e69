// Untrusted bytes to a RemoteFrame (schemas/remote.fbs), the wire of the remote actor transport
// (src/runtime/remote): the whole frame is verified against the schema (bounds,
// offsets, union tags, string and vector limits, finite numbers: src/protocol/verify) and every
// envelope in it checked (version, cross-field rules) before anything is decoded, so one bad
// envelope rejects the whole frame and nothing of it is delivered. Never throws.
import type { ByteBuffer } from 'flatbuffers';
import { PROTOCOL_VERSION } from '../envelope/codec.ts';
import { checkSemantics } from '../envelope/semantic.ts';
import { fail, internal, ok, type Result } from '../errors.ts';
import { layout } from '../generated/remote-layout.ts';
import { Envelope } from '../generated/vf/envelope.ts';
import { RemoteFrame } from '../generated/vf/remote-frame.ts';
import { VerifyError, verifyBuffer } from '../verify/verify-buffer.ts';
import { FrameBuffer } from './frame-buffer.ts';

export const FRAME_IDENTIFIER = 'VFRM';

const MAX_DEPTH = 24;

export function readFrame(bytes: Uint8Array, maxBytes: number): Result<RemoteFrame> {
  try {
    // The generated typed-array accessors view the buffer in place: it must be 8-byte aligned.
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    verifyBuffer(aligned, layout, { maxBytes, maxDepth: MAX_DEPTH });
    const frame = RemoteFrame.getRootAsRemoteFrame(new FrameBuffer(aligned));
    const env = new Envelope();
    const n = frame.envelopesLength();
    for (let i = 0; i < n; i++) {
      frame.envelopes(i, env);
      if (env.version() !== PROTOCOL_VERSION)
        return fail('UNSUPPORTED_VERSION', `envelope ${i}: version ${env.version()}, expected ${PROTOCOL_VERSION}`);
      const semantic = checkSemantics(env);
      if (semantic !== null) return { ok: false, error: { code: semantic.code, message: `envelope ${i}: ${semantic.message}` } };
    }
    return ok(frame);
  } catch (err) {
    if (err instanceof VerifyError) return fail(err.code, err.message);
    return internal(err);
  }
}

// ---- reading envelope fields without an allocation each ---------------------------------------------

/** Vtable slots of vf.Envelope (schemas/envelope.fbs field order). */
const SENDER = 10;
const RECIPIENT = 12;
const CORRELATION_ID = 8;

/**
 * Where a string field's bytes start (its length prefix), or 0 when absent. A batch writes each
 * path once and points every envelope at it, so the reader decodes a path once per frame.
 */
function stringAt(env: Envelope, slot: number): number {
  const bb = env.bb!;
  const o = bb.__offset(env.bb_pos, slot);
  if (o === 0) return 0;
  const at = env.bb_pos + o;
  return at + bb.readUint32(at);
}

export function senderAt(env: Envelope): number {
  return stringAt(env, SENDER);
}

export function recipientAt(env: Envelope): number {
  return stringAt(env, RECIPIENT);
}

const utf8 = new TextDecoder();

/** The (verified) string whose length prefix is at `at`. */
export function stringFrom(bb: ByteBuffer, at: number): string {
  const n = bb.readUint32(at);
  return utf8.decode(bb.bytes().subarray(at + 4, at + 4 + n));
}

/** The envelope's correlation id, 0 when none (the verifier has checked it is a safe integer). */
export function correlationIdOf(env: Envelope): number {
  const bb = env.bb!;
  const o = bb.__offset(env.bb_pos, CORRELATION_ID);
  if (o === 0) return 0;
  const at = env.bb_pos + o;
  return bb.readUint32(at + 4) * 2 ** 32 + bb.readUint32(at);
}

/** A verified ulong field read as a Number (the verifier bounds every ulong to the safe range). */
export function safeU64(value: bigint): number {
  return Number(value);
}
