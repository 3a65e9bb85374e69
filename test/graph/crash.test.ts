// Crash safety, for real: a child process ingests multi-shard units into PostgreSQL and is killed
// with SIGKILL at random moments (22 times). After each kill the journal is replayed: every
// acknowledged unit is present exactly once, and every unacknowledged one is all there or not at
// all (nothing half-applied); the next child recovers from that state and carries on. Before each
// replay the test takes the store's writer lock, as the next node does when it opens the store: the
// server may still be running the dead child's last group commit, and commits it when done.
import test from 'ava';
import { spawn } from 'node:child_process';
import { replayTo } from '../../src/graph/replay.ts';
import { pgClient } from '../../src/storage/pg-client.ts';
import { asNumber } from '../../src/storage/sql.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { throwawayDatabase } from '../fixtures/graph-store.ts';

const KILLS = 20;

function runUntilKilled(url: string, start: number, killAfterAcks: number, delayMs: number): Promise<{ acked: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/fixtures/graph-crash-writer.ts'], {
      env: { ...process.env, DATABASE_URL: url, START: String(start) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let out = '';
    let stderr = '';
    let ready = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line === 'ready' && !ready) {
          ready = true;
          if (killAfterAcks === 0) setTimeout(() => child.kill('SIGKILL'), delayMs);
        } else if (line.startsWith('ack ')) {
          acked.push(Number(line.slice(4)));
          // With 8 units in flight, a kill after the n-th ack always lands mid-write.
          if (acked.length === killAfterAcks) setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${code}): ${stderr}`));
      else if (!ready) reject(new Error(`writer killed before it was ready: ${stderr}`));
      else resolve({ acked, stderr });
    });
  });
}

test('SIGKILL at random moments: acknowledged units survive exactly once, none is half-applied', async (t) => {
  t.timeout(170_000);
  const url = await throwawayDatabase((fn) => t.teardown(fn), 'vf_crash');
  const db = pgClient(url, 2);
  t.teardown(() => db.close());
  const random = mulberry32(4);
  const acked = new Set<number>();
  let start = 0;
  let killsDuringWrites = 0;
  for (let run = 0; run < KILLS; run++) {
    const killAfter = run % 5 === 0 ? 0 : 1 + Math.floor(random() * 40);
    const delay = Math.floor(random() * 15);
    const result = await runUntilKilled(url, start, killAfter, delay);
    for (const k of result.acked) acked.add(k);
    if (result.acked.length > 0) killsDuringWrites++;

    const fence = await db.writerSession({ waitMs: 20_000 });
    await fence.close();
    const view = await replayTo(db);
    const counts = new Map<number, number>();
    for (const r of await db.query('SELECT entity, count(*) AS n FROM graph_events WHERE kind = 1 GROUP BY entity'))
      counts.set(asNumber(r.entity), asNumber(r.n));
    let maxSeen = start - 1;
    for (let k = 0; k < start + 5_000; k++) {
      const parts = [view.nodes.has(2 * k), view.nodes.has(2 * k + 1), view.edges.has(BigInt(k)), view.nodes.get(2 * k)?.position?.x === k];
      const present = parts.filter(Boolean).length;
      if (present !== 0 && present !== 4) t.fail(`run ${run}: unit ${k} is half-applied: ${JSON.stringify(parts)}`);
      if (present === 4) {
        maxSeen = Math.max(maxSeen, k);
        if (counts.get(2 * k) !== 1 || counts.get(2 * k + 1) !== 1) t.fail(`run ${run}: unit ${k} journaled ${counts.get(2 * k)} times`);
      }
      if (acked.has(k) && present !== 4) t.fail(`run ${run}: acknowledged unit ${k} is missing`);
      if (k > maxSeen + 200 && k > Math.max(-1, ...acked)) break;
    }
    start = maxSeen + 1;
  }
  t.true(acked.size > 50, `${acked.size} units acknowledged across ${KILLS} kills`);
  t.true(killsDuringWrites >= 15, `${killsDuringWrites} of ${KILLS} kills landed while units were being written`);
  const [snaps] = await db.query('SELECT count(*) AS n FROM graph_snapshots');
  t.true(asNumber(snaps!.n) > 0, 'snapshots were taken (and recovered from) along the way');
});
