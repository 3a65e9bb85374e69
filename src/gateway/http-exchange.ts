// The pieces every HTTP route is made of: answering (plain or JSON, never cached), refusing with a
// status (HttpError, turned into the answer by httpHandler), the method and role checks, reading a
// bounded JSON body and a bounded integer parameter.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Permission } from '../auth/roles.ts';
import type { TokenAuthority } from '../auth/token.ts';
import { authorise, requestToken, type AuthOutcome } from './http-auth.ts';

type Authorised = Extract<AuthOutcome, { ok: true }>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

export function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', JSON.stringify(value), headers);
}

/** The request's token, checked for `permission`; refused with 401 or 403 otherwise. */
export function need(tokens: TokenAuthority, req: IncomingMessage, url: URL, permission: Permission, allowCookie = false): Authorised {
  const outcome = authorise(tokens, requestToken(req, url, allowCookie), permission);
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.message, outcome.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
  return outcome;
}

export function methods(req: IncomingMessage, allowed: readonly string[]): void {
  if (!allowed.includes(req.method ?? '')) throw new HttpError(405, 'method not allowed', { allow: allowed.join(', ') });
}

export async function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new HttpError(413, `body over ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new HttpError(413, `body over ${max} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

export function boundedInt(raw: string | null, fallback: number, min: number, max: number, name = 'limit'): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}]`);
  return n;
}
