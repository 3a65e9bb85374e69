// Where a request's token is read from, and the role check every protected route makes. The token
// travels as `Authorization: Bearer <token>` or `?token=<token>`; the viewer's static files also
// accept the HttpOnly cookie set when the page was opened with a valid token (scripts and styles
// cannot carry the query). The cookie is never accepted by the API, so it cannot be used for CSRF.
import type { IncomingMessage } from 'node:http';
import { can, type Permission } from '../auth/roles.ts';
import { describeTokenFailure, type TokenAuthority, type TokenClaims } from '../auth/token.ts';

export const TOKEN_COOKIE = 'vf_token';

export type AuthOutcome =
  | { readonly ok: true; readonly claims: TokenClaims; readonly token: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export function requestToken(req: IncomingMessage, url: URL, allowCookie = false): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined && header.startsWith('Bearer ')) return header.slice(7).trim();
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  if (!allowCookie) return undefined;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return rest.join('=');
  }
  return undefined;
}

export function authorise(tokens: TokenAuthority, token: string | undefined, permission: Permission): AuthOutcome {
  if (token === undefined) return { ok: false, status: 401, message: 'unauthorized: no access token' };
  const check = tokens.verify(token);
  if (!check.ok) return { ok: false, status: 401, message: describeTokenFailure(check.reason) };
  if (!can(check.claims.role, permission)) {
    return { ok: false, status: 403, message: `forbidden: role ${check.claims.role} lacks ${permission}` };
  }
  return { ok: true, claims: check.claims, token };
}
