// What start.ts needs: the gateway's child specs for the /app/gateway supervisor, and the admin
// URL printed at start (a fresh admin token on the viewer's address, like a notebook server).
import { gateway, GATEWAY_SCHEDULING, type GatewayOptions } from '../actors/gateway.ts';
import type { TokenAuthority } from '../auth/token.ts';
import { childSpec, type AnyChildSpec } from '../supervisors/child-spec.ts';

/** The gateway actor's name under /app/gateway; sessions are its children (…/server/s-1, …). */
export const GATEWAY_NAME = 'server';
export const GATEWAY_PATH = `/app/gateway/${GATEWAY_NAME}`;

export function gatewayChildren(options: GatewayOptions): AnyChildSpec[] {
  return [childSpec(gateway(options), { name: GATEWAY_NAME, ...GATEWAY_SCHEDULING, mailbox: { capacity: 4096, overflow: 'drop-oldest' } })];
}

export interface AdminUrlOptions {
  readonly host: string;
  readonly port: number;
  /** Lifetime of the printed token (default 24 h). */
  readonly ttlSeconds?: number;
}

/** Mints an admin token and the URL that opens the viewer with it. */
export function adminUrl(tokens: TokenAuthority, options: AdminUrlOptions): { readonly url: string; readonly token: string } {
  const token = tokens.mint({ sub: 'admin', role: 'admin', ttlSeconds: options.ttlSeconds ?? 24 * 3600 });
  const shown = options.host === '0.0.0.0' || options.host === '127.0.0.1' || options.host === '::' ? 'localhost' : options.host;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  return { url: `http://${host}:${options.port}/?token=${token}`, token };
}
