// `npm run token -- [--role viewer|editor|agent|admin] [--ttl 24h] [--sub NAME]`: prints a token
// signed with VF_SECRET, for a viewer, an agent or a script to connect with. A node started without
// VF_SECRET signs with a random key that nothing else knows: there an admin mints tokens over HTTP
// instead (POST /api/tokens). Exit status: 0 printed, 1 no VF_SECRET, 2 usage.
import { parseArgs } from 'node:util';
import { isRole, ROLES } from '../auth/roles.ts';
import { signingKey } from '../auth/secret.ts';
import { MAX_MINTED_TTL_SECONDS, TokenAuthority } from '../auth/token.ts';
import { parseDurationSeconds } from './duration.ts';

function usage(message: string): never {
  console.error(`${message}\nusage: npm run token -- [--role ${ROLES.join('|')}] [--ttl 24h] [--sub NAME]`);
  process.exit(2);
}

let values: { role?: string; ttl?: string; sub?: string };
try {
  ({ values } = parseArgs({ options: { role: { type: 'string' }, ttl: { type: 'string' }, sub: { type: 'string' } }, strict: true }));
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const role = values.role ?? 'viewer';
if (!isRole(role)) usage(`unknown role "${role}"`);
const ttlSeconds = parseDurationSeconds(values.ttl ?? '24h');
if (ttlSeconds === undefined || ttlSeconds > MAX_MINTED_TTL_SECONDS)
  usage(`--ttl must be a duration such as 3600, 15m, 1h or 7d, at most 30d`);
const sub = values.sub ?? `${role}-cli`;
if (sub.length === 0 || sub.length > 256) usage('--sub must be 1 to 256 characters');
if (process.env.VF_SECRET === undefined || process.env.VF_SECRET === '') {
  console.error(
    'VF_SECRET is not set: a token is only valid on a node started with the same VF_SECRET (or ask a running node: POST /api/tokens with an admin token)',
  );
  process.exit(1);
}
let key: Buffer;
try {
  key = signingKey();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
console.log(new TokenAuthority(key).mint({ sub, role, ttlSeconds }));
