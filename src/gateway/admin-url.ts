// The admin URL printed at start: a fresh admin token on the viewer's address, like a notebook
// server's.
import type { TokenAuthority } from '../auth/token.ts';

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
