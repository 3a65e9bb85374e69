// Signed access tokens: round trip, expiry on an injected clock, forged, tampered, wrong key,
// malformed input of any shape; and the role permissions.
import { createHmac } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { can, ROLES, type Permission } from '../../src/auth/roles.ts';
import { signingKey } from '../../src/auth/secret.ts';
import { TokenAuthority } from '../../src/auth/token.ts';

const KEY = Buffer.alloc(32, 1);
const T0 = 1_700_000_000_000;

test('a minted token verifies with its claims until it expires', (t) => {
  let now = T0;
  const auth = new TokenAuthority(KEY, () => now);
  const token = auth.mint({ sub: 'alice', role: 'editor', ttlSeconds: 60 });
  t.regex(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const r = auth.verify(token);
  if (!r.ok) return t.fail(r.reason);
  t.like(r.claims, { sub: 'alice', role: 'editor', iat: T0 / 1000, exp: T0 / 1000 + 60 });
  t.regex(r.claims.jti, /^[0-9a-f-]{36}$/);
  now = T0 + 59_999;
  t.true(auth.verify(token).ok);
  now = T0 + 60_000;
  t.deepEqual(auth.verify(token), { ok: false, reason: 'expired' });
});

test('a token issued in the future (beyond a minute of skew) is not yet valid', (t) => {
  let now = T0 + 120_000;
  const future = new TokenAuthority(KEY, () => now).mint({ sub: 'a', role: 'viewer', ttlSeconds: 600 });
  now = T0;
  t.deepEqual(new TokenAuthority(KEY, () => now).verify(future), { ok: false, reason: 'not-yet-valid' });
});

test('wrong key, tampered payload and forged signature are bad signatures', (t) => {
  const auth = new TokenAuthority(KEY, () => T0);
  const other = new TokenAuthority(Buffer.alloc(32, 2), () => T0);
  const token = auth.mint({ sub: 'bob', role: 'viewer', ttlSeconds: 60 });
  t.deepEqual(other.verify(token), { ok: false, reason: 'bad-signature' });
  const [payload, sig] = token.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const elevated = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
  t.deepEqual(auth.verify(`${elevated}.${sig}`), { ok: false, reason: 'bad-signature' });
  t.deepEqual(auth.verify(`${payload}.${Buffer.alloc(32).toString('base64url')}`), { ok: false, reason: 'bad-signature' });
  t.deepEqual(auth.verify(`${payload}.${sig.slice(0, -4)}`), { ok: false, reason: 'bad-signature' });
});

test('only the canonical text of a signature verifies: twins that decode to the same bytes are refused', (t) => {
  const auth = new TokenAuthority(KEY, () => T0);
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let twins = 0;
  for (let i = 0; i < 20; i++) {
    const token = auth.mint({ sub: `user-${i}`, role: 'viewer', ttlSeconds: 60 });
    t.true(auth.verify(token).ok);
    const head = token.slice(0, -1);
    for (const c of ALPHABET) {
      const variant = head + c;
      if (variant === token) continue;
      const [, sig] = variant.split('.') as [string, string];
      if (Buffer.from(sig, 'base64url').equals(Buffer.from(token.split('.')[1]!, 'base64url'))) twins++;
      t.deepEqual(auth.verify(variant), { ok: false, reason: 'bad-signature' }, variant);
    }
  }
  // 32 bytes in 43 characters leave two spare bits: each token has three twins.
  t.is(twins, 60);
});

test('a correctly signed payload that is not a claims object is malformed', (t) => {
  const auth = new TokenAuthority(KEY, () => T0);
  const sign = (json: string) => {
    const p = Buffer.from(json).toString('base64url');
    return `${p}.${createHmac('sha256', KEY).update(p).digest('base64url')}`;
  };
  t.true(auth.verify(sign(JSON.stringify({ sub: 'a', role: 'viewer', iat: T0 / 1000, exp: T0 / 1000 + 9, jti: 'j' }))).ok);
  for (const json of [
    'not json',
    '[]',
    'null',
    '{"sub":"a","role":"root","iat":1,"exp":9999999999,"jti":"j"}',
    '{"sub":"","role":"viewer","iat":1,"exp":9999999999,"jti":"j"}',
    '{"sub":"a","role":"viewer","iat":1,"exp":"never","jti":"j"}',
  ]) {
    t.deepEqual(auth.verify(sign(json)), { ok: false, reason: 'malformed' }, json);
  }
});

test('arbitrary strings never verify and never throw', (t) => {
  const auth = new TokenAuthority(KEY, () => T0);
  const token = auth.mint({ sub: 's', role: 'admin', ttlSeconds: 60 });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string().map((s) => `${s}.${s}`),
        fc.integer().map((i) => token.slice(0, Math.abs(i) % token.length)),
      ),
      (s) => {
        const r = auth.verify(s);
        return !r.ok || s === token;
      },
    ),
    { numRuns: 500 },
  );
  for (const bad of [undefined, null, 42, {}, '', '.', 'a.', '.b', 'a.b.c', 'x'.repeat(5000)]) t.false(auth.verify(bad).ok);
});

test('roles: viewer reads; editor and agent mutate the graph; only editors and admins change settings and submit tasks', (t) => {
  const table: Record<string, Permission[]> = {
    viewer: ['read'],
    editor: ['read', 'graph:write', 'settings:write', 'tasks:write'],
    agent: ['read', 'graph:write', 'agent:act'],
    admin: ['read', 'graph:write', 'settings:write', 'agent:act', 'tasks:write', 'admin'],
  };
  const all: Permission[] = ['read', 'graph:write', 'settings:write', 'agent:act', 'tasks:write', 'admin'];
  for (const role of ROLES) for (const p of all) t.is(can(role, p), table[role]!.includes(p), `${role} ${p}`);
});

test('the signing key comes from VF_SECRET (32 bytes at least) or is random', (t) => {
  t.is(signingKey({ VF_SECRET: 'k'.repeat(32) }).toString(), 'k'.repeat(32));
  t.throws(() => signingKey({ VF_SECRET: 'short' }), { instanceOf: RangeError });
  const a = signingKey({});
  t.is(a.length, 32);
  t.notDeepEqual(a, signingKey({}));
});
