// Who is who in the association handshake (the frames are src/protocol/remote/handshake-frames.ts):
// incarnations, nonces, version choice, and the proofs. Nodes prove they hold the cluster secret
// with an HMAC over a transcript naming both systems, both incarnations, the version and both
// nonces, each end in its own role, so neither proof can be replayed, reflected or moved to another
// pair. Agents and clients present a signed token instead; they learn who they reached from TLS.
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { MAX_REMOTE_VERSION, MIN_REMOTE_VERSION } from '../../protocol/remote/handshake-frames.ts';

export const NONCE_BYTES = 32;
export const MIN_SECRET_BYTES = 32;

/** Random per process start, never 0, and exact as a double (the wire's ulong is read as a Number). */
export function newIncarnation(): number {
  return randomInt(1, 2 ** 48);
}

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** The highest version both ends speak, or undefined. */
export function chooseVersion(min: number, max: number): number | undefined {
  const version = Math.min(max, MAX_REMOTE_VERSION);
  return version >= Math.max(min, MIN_REMOTE_VERSION) ? version : undefined;
}

export interface Transcript {
  readonly version: number;
  readonly dialer: string;
  readonly dialerIncarnation: number;
  readonly acceptor: string;
  readonly acceptorIncarnation: number;
  readonly dialerNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
}

/** HMAC-SHA256 under the cluster secret of the transcript, for one role. */
export function proofOf(secret: Uint8Array, role: 'dialer' | 'acceptor', t: Transcript): Uint8Array {
  const text = [
    'vf-remote',
    role,
    t.version,
    t.dialer,
    t.dialerIncarnation,
    t.acceptor,
    t.acceptorIncarnation,
    Buffer.from(t.dialerNonce).toString('hex'),
    Buffer.from(t.acceptorNonce).toString('hex'),
  ].join('|');
  return new Uint8Array(createHmac('sha256', secret).update(text, 'utf8').digest());
}

/** Constant-time comparison of a proof received with the one expected. */
export function proofMatches(secret: Uint8Array, role: 'dialer' | 'acceptor', t: Transcript, given: Uint8Array | null): boolean {
  if (given === null) return false;
  const expected = proofOf(secret, role, t);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
