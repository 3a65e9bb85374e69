// SIGTERM at any moment of `npm start`, from spawn to serving, as real processes run the way
// `npm start` runs them, on one PGlite folder: 20 moments, drawn at random over the start (some
// while the modules load, some right as /readyz first turns 200). Each time the node stops in
// order, exits 0 and leaves no lock file behind, so the next start opens the folder at once.
//
// Moments start once Node itself has started: before that it runs no JavaScript at all, so
// nothing can catch a signal (and nothing has been opened yet). How long that takes is measured
// here, from spawn to a first module's code, as the machine is loaded now (tens of milliseconds
// on an idle machine, several hundred on a busy one).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { pollUntil } from '../helpers/poll.ts';
import { run, waitForOutput, type Run } from './spawn.ts';

const MOMENTS = 20;
const NODE_ARGS = ['--import=./src/cli/hold-signals.mjs', '--import=tsx'];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The longest of a few spawns of Node until its first preloaded module runs, in ms. */
async function nodeStartupMs(): Promise<number> {
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['--import=data:text/javascript,process.stdout.write("up")', '-e', '0'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child.stdout.once('data', () => resolve(Date.now() - started));
      child.once('error', reject);
    });
  const times = [];
  for (let i = 0; i < 3; i++) times.push(await once());
  return Math.max(...times);
}

async function readyzOk(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

test('SIGTERM at 20 moments from spawn to serving: an ordered stop, exit 0, the PGlite lock released every time', async (t) => {
  t.timeout(900_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'vf-sigterm-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = (port: number): Record<string, string> => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    VF_DATA_DIR: dataDir,
    DATABASE_URL: '',
    VF_DEMO: '0',
  });
  const random = mulberry32(19);

  // A first start makes the folder (initdb) and measures how long a start takes on this machine.
  const first = run(t, 'src/cli/start.ts', env(await freePort()), [], NODE_ARGS);
  const spawnedAt = Date.now();
  await waitForOutput(first, /is up/, 120_000);
  const upAfter = Date.now() - spawnedAt;
  first.child.kill('SIGTERM');
  t.deepEqual(await first.exited, { code: 0, signal: null }, first.output());

  const outcomes: string[] = [];
  for (let i = 0; i < MOMENTS; i++) {
    const port = await freePort();
    // Measured again for each moment: the machine's load changes.
    const nodeStarts = await nodeStartupMs();
    const fromMs = Math.max(150, 2 * nodeStarts);
    const r: Run = run(t, 'src/cli/start.ts', env(port), [], NODE_ARGS);
    const spawned = Date.now();
    let moment: string;
    if (i % 4 === 3) {
      // Right as the node first says it is ready.
      await pollUntil(() => readyzOk(port), { limitMs: 120_000, everyMs: 2, what: '/readyz 200' });
      moment = 'as /readyz turned 200';
    } else {
      // While the modules load (the first few), or anywhere over a start as long as the first one.
      const delay = fromMs + Math.floor(random() * (i < 5 ? 600 : Math.max(600, upAfter - fromMs)));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, spawned + delay - Date.now())));
      moment = `${delay} ms after spawn (Node starts in ${nodeStarts} ms now)`;
    }
    r.child.kill('SIGTERM');
    const exit = await Promise.race([r.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000))]);
    if (exit === 'hung') r.child.kill('SIGKILL');
    const lockLeft = existsSync(`${dataDir}.lock`);
    outcomes.push(`${moment}: ${JSON.stringify(exit)}${lockLeft ? ', lock left' : ''}`);
    if (exit === 'hung' || exit.code !== 0 || exit.signal !== null || lockLeft) {
      t.fail(`moment ${i} (${moment}): ${JSON.stringify(exit)}${lockLeft ? ', lock file left behind' : ''}\n${r.output().slice(-3_000)}`);
      return;
    }
  }
  t.log(`up ${upAfter} ms after spawn; ${outcomes.join('; ')}`);
  t.pass();
});
