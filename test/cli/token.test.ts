// `npm run token` as a real process: a token for the role and lifetime asked, signed with
// VF_SECRET (a node started with the same secret accepts it), and clear refusals otherwise.
import test from 'ava';
import { TokenAuthority } from '../../src/auth/token.ts';
import { parseDurationSeconds } from '../../src/cli/duration.ts';
import { run } from './spawn.ts';

const SECRET = 'a-secret-of-at-least-32-bytes-for-tests';

test('prints a token for the role, lifetime and subject asked, signed with VF_SECRET', async (t) => {
  const r = run(t, 'src/cli/token.ts', { VF_SECRET: SECRET }, ['--role', 'agent', '--ttl', '2h', '--sub', 'planner-1']);
  t.is((await r.exited).code, 0, r.output());
  const token = r.output().trim();
  const check = new TokenAuthority(Buffer.from(SECRET, 'utf8')).verify(token);
  if (!check.ok) return t.fail(`the token does not verify: ${check.reason}`);
  t.is(check.claims.role, 'agent');
  t.is(check.claims.sub, 'planner-1');
  t.is(check.claims.exp - check.claims.iat, 7200);
  t.false(new TokenAuthority(Buffer.alloc(32, 7)).verify(token).ok, 'another key refuses it');
});

test('a viewer token for 24 hours by default', async (t) => {
  const r = run(t, 'src/cli/token.ts', { VF_SECRET: SECRET });
  t.is((await r.exited).code, 0, r.output());
  const check = new TokenAuthority(Buffer.from(SECRET, 'utf8')).verify(r.output().trim());
  t.true(check.ok && check.claims.role === 'viewer' && check.claims.exp - check.claims.iat === 86_400);
});

test('without VF_SECRET it exits 1 and says why; a bad role or lifetime exits 2 with the usage', async (t) => {
  const none = run(t, 'src/cli/token.ts', { VF_SECRET: '' });
  t.is((await none.exited).code, 1);
  t.regex(none.output(), /VF_SECRET is not set.*POST \/api\/tokens/);
  const short = run(t, 'src/cli/token.ts', { VF_SECRET: 'short' });
  t.is((await short.exited).code, 1);
  t.regex(short.output(), /at least 32 bytes/);
  for (const args of [['--role', 'root'], ['--ttl', '1y'], ['--ttl', '31d'], ['--bogus']]) {
    const bad = run(t, 'src/cli/token.ts', { VF_SECRET: SECRET }, args);
    t.is((await bad.exited).code, 2, args.join(' '));
    t.regex(bad.output(), /usage: npm run token/);
  }
});

test('lifetimes: seconds, minutes, hours, days', (t) => {
  t.is(parseDurationSeconds('90'), 90);
  t.is(parseDurationSeconds('90s'), 90);
  t.is(parseDurationSeconds('15m'), 900);
  t.is(parseDurationSeconds('1h'), 3600);
  t.is(parseDurationSeconds('7d'), 604_800);
  for (const bad of ['', '0', '-1h', '1.5h', 'h', '1w', '9'.repeat(30)]) t.is(parseDurationSeconds(bad), undefined, bad);
});
