// The CLI as a real process: `npm start` prints a URL with a token that serves the status page and
// exits 0 on SIGTERM; a failure that reaches the root stops the tree in order and exits 1.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run, waitForOutput } from './spawn.ts';

test('npm start prints a URL with a token that serves the node; SIGTERM exits 0', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vf-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // VF_DEMO=0: the first start's example graph has a test of its own (first-start.test.ts).
  const r = run(t, 'src/cli/start.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    VF_DATA_DIR: dataDir,
    DATABASE_URL: '',
    VF_DEMO: '0',
  });
  // A fresh data folder means a PGlite initdb first: about 7 s alone, several times that while the
  // rest of the suite shares the machine. This is a wait for readiness, not a time target.
  const [, url] = await waitForOutput(r, /Open (http:\/\/\S+)/, 90_000);
  const parsed = new URL(url!);
  const token = parsed.searchParams.get('token') ?? '';
  t.true(token.length >= 20, 'a fresh random token');
  t.true(Number(parsed.port) > 0);

  const page = await fetch(url!);
  t.is(page.status, 200);
  t.regex(await page.text(), /VisionFlow/);
  const status = await fetch(`${parsed.origin}/status?token=${token}`);
  t.is(status.status, 200);
  const noToken = await fetch(`${parsed.origin}/api/tree`);
  t.is(noToken.status, 401);
  const tree = (await (await fetch(`${parsed.origin}/api/tree`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    actors: string[];
  };
  t.true(tree.actors.includes('/app/gateway/server'));
  t.true(tree.actors.includes('/app/settings/store'));
  t.true(tree.actors.includes('/app/graph/core/router'));
  t.true(tree.actors.includes('/app/dead-letters/retry'));

  // A second node on the same data folder (on another port) would corrupt it: it is refused.
  const second = run(t, 'src/cli/start.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    VF_DATA_DIR: dataDir,
    DATABASE_URL: '',
    VF_DEMO: '0',
  });
  t.is((await second.exited).code, 1, second.output());
  t.regex(second.output(), /could not open the store/);
  t.regex(second.output(), new RegExp(`in use by process ${r.child.pid}`));

  r.child.kill('SIGTERM');
  const { code } = await r.exited;
  t.is(code, 0, r.output());
  t.regex(r.output(), /shutting down/);
  t.regex(r.output(), /actor system stopped/);
  t.false(existsSync(`${dataDir}.lock`), 'the lock goes with the node');
});

test('a failure that reaches the root stops the tree in order and exits 1', async (t) => {
  const r = run(t, 'test/fixtures/crash-app.ts');
  const { code } = await r.exited;
  t.is(code, 1, r.output());
  const lines = r
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { stopped?: string; reason?: string; terminated?: boolean; failed?: boolean });
  const stops = lines.filter((l) => l.stopped !== undefined).map((l) => `${l.stopped} ${l.reason}`);
  const restart = ['/top/second parent-restart', '/top/first parent-restart'];
  t.deepEqual(stops, [
    // The two restarts the intensity allows each tear /top's children down; the third failure
    // exceeds it, the root fails, and the tree stops children first, in reverse start order.
    ...restart,
    ...restart,
    '/top/second shutdown',
    '/top/first shutdown',
    '/top shutdown',
    '/ shutdown',
  ]);
  t.deepEqual(lines.at(-1), { terminated: true, failed: true });
});
