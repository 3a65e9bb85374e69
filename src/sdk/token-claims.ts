// What an agent reads of its own token without the key: the subject, the role and the expiry,
// to pick its id and to say clearly why the node would refuse it before dialing. The node
// verifies the signature; nothing here is trusted beyond choosing what to ask for.
import { AgentConfigError } from './errors.ts';

export interface UnverifiedClaims {
  readonly sub: string;
  readonly role: string;
  /** Seconds since the Unix epoch. */
  readonly exp: number;
}

/** The token's claims, or AgentConfigError when it is not a VisionFlow token at all. */
export function readTokenClaims(token: string): UnverifiedClaims {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 2048) throw new AgentConfigError('the token is not a VisionFlow token (payload.signature)');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    throw new AgentConfigError('the token payload is not base64url JSON');
  }
  const c = claims as Partial<Record<'sub' | 'role' | 'exp', unknown>>;
  if (typeof c !== 'object' || c === null || typeof c.sub !== 'string' || typeof c.role !== 'string' || typeof c.exp !== 'number') {
    throw new AgentConfigError('the token payload lacks sub, role or exp');
  }
  return { sub: c.sub, role: c.role, exp: c.exp };
}
