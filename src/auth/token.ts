// Access tokens: base64url(JSON payload) "." base64url(HMAC-SHA256(key, first part)).
// The payload is {sub, role, exp, iat, jti} with times in seconds since the Unix epoch. Verifying
// checks the shape, then the signature's canonical text in constant time, then the lifetime
// against an injected wall clock, and never throws on untrusted input.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { isRole, type Role } from './roles.ts';

export interface TokenClaims {
  /** Who the token was issued to (a user, an agent, "admin"). */
  readonly sub: string;
  readonly role: Role;
  /** Expiry, seconds since the Unix epoch. */
  readonly exp: number;
  /** Issued at, seconds since the Unix epoch. */
  readonly iat: number;
  /** Unique token id. */
  readonly jti: string;
}

export type TokenFailure = 'malformed' | 'bad-signature' | 'expired' | 'not-yet-valid';

export type TokenCheck = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: TokenFailure };

export interface MintOptions {
  readonly sub: string;
  readonly role: Role;
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
}

/** Longest token accepted: anything larger is malformed before any work is done on it. */
export const MAX_TOKEN_LENGTH = 2048;
/** Longest lifetime of a token minted on request (the CLI, the HTTP API): a leaked one expires. */
export const MAX_MINTED_TTL_SECONDS = 30 * 24 * 3600;
/** Clock skew tolerated on `iat` between nodes. */
const SKEW_SECONDS = 60;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export class TokenAuthority {
  constructor(
    private readonly key: Uint8Array,
    /** Wall-clock milliseconds since the Unix epoch; injected in tests. */
    private readonly now: () => number = Date.now,
  ) {
    if (key.length < 16) throw new RangeError('a signing key needs at least 16 bytes');
  }

  mint(options: MintOptions): string {
    if (!(options.ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive');
    const iat = Math.floor(this.now() / 1000);
    const claims: TokenClaims = { sub: options.sub, role: options.role, iat, exp: iat + Math.ceil(options.ttlSeconds), jti: randomUUID() };
    const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
    return `${payload}.${this.sign(payload).toString('base64url')}`;
  }

  verify(token: unknown): TokenCheck {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return failure('malformed');
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return failure('malformed');
    const payload = token.slice(0, dot);
    const signature = token.slice(dot + 1);
    if (!SEGMENT.test(payload) || !SEGMENT.test(signature)) return failure('malformed');
    // The text is compared, not the decoded bytes: base64url leaves spare bits in the last
    // character, so several strings decode to one signature, and anything that keys on the token
    // string (a revocation list, a log, a cache) would miss the twins.
    const given = Buffer.from(signature, 'ascii');
    const expected = Buffer.from(this.sign(payload).toString('base64url'), 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return failure('bad-signature');
    const claims = parseClaims(Buffer.from(payload, 'base64url').toString('utf8'));
    if (claims === undefined) return failure('malformed');
    const nowSeconds = this.now() / 1000;
    if (nowSeconds >= claims.exp) return failure('expired');
    if (claims.iat > nowSeconds + SKEW_SECONDS) return failure('not-yet-valid');
    return { ok: true, claims };
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload, 'utf8').digest();
  }
}

function failure(reason: TokenFailure): TokenCheck {
  return { ok: false, reason };
}

function parseClaims(json: string): TokenClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const seconds = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (typeof v.sub !== 'string' || v.sub.length === 0 || v.sub.length > 256) return undefined;
  if (!isRole(v.role) || !seconds(v.exp) || !seconds(v.iat) || typeof v.jti !== 'string' || v.jti.length > 128) return undefined;
  return { sub: v.sub, role: v.role, exp: v.exp, iat: v.iat, jti: v.jti };
}

/** What a client is told when its token is refused (the close reason or the 401 body). */
export function describeTokenFailure(reason: TokenFailure): string {
  switch (reason) {
    case 'malformed':
      return 'unauthorized: malformed token';
    case 'bad-signature':
      return 'unauthorized: bad token signature';
    case 'expired':
      return 'unauthorized: token expired';
    case 'not-yet-valid':
      return 'unauthorized: token not yet valid';
  }
}
