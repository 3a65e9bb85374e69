// The BullMQ half of `npm run bench -- agents` (alone: `npm run bench -- agents-bullmq [--quick]`):
// BullMQ on the local Redis (127.0.0.1:6379) with N worker processes (4, then 8) that do no work,
// each taking one job at a time as an agent takes one task (AgentRegister.max_concurrent 0 or 1).
// Jobs are durable as BullMQ keeps them by default (a hash per job, kept after completion:
// removeOnComplete false); what Redis itself persists is its own configuration, reported beside.
//
//   throughput  a fixed number of jobs added at once, from the first add to the last completion
//               seen through QueueEvents, in jobs per second
//   latency     an open-loop stream at half that throughput; each job from just before its add to
//               its completion seen by the producer through QueueEvents: p50 and p99
//
// Each run uses a queue of its own name and obliterates it after. bullmqFigures() is what
// bench/agents.ts puts beside VisionFlow's own figures (agents-queue-figures.ts, same shape).
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import type { BullmqLoadArgs } from './agents-bullmq-load.ts';
import { percentile, queueFigureRows, type QueueFigures } from './agents-queue-figures.ts';
import { progress, report } from './report.ts';
import type { BenchOptions } from './run.ts';
import { readyOf, stopChild } from './child-process.ts';

const LOAD = fileURLToPath(new URL('./agents-bullmq-load.ts', import.meta.url));
const REDIS = { host: '127.0.0.1', port: 6379 } as const;

export interface BullmqBenchOptions {
  readonly quick: boolean;
  /** Worker process counts, one run each (default 4 and 8). */
  readonly workers?: readonly number[];
  /** Jobs each worker process takes at once (default 1). */
  readonly concurrency?: number;
}

interface Sizes {
  readonly jobs: number;
  readonly latencyJobs: number;
  readonly maxLatencyRunMs: number;
}

const FULL: Sizes = { jobs: 20_000, latencyJobs: 10_000, maxLatencyRunMs: 20_000 };
const QUICK: Sizes = { jobs: 2_000, latencyJobs: 1_000, maxLatencyRunMs: 5_000 };
/** Longest a run may take to see its completions: past it the benchmark fails rather than hangs. */
const DEADLINE_MS = 180_000;
/** Adds in flight at once while the throughput run fills the queue. */
const ADD_WINDOW = 1_000;

export function bullmqVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('bullmq/package.json')), 'utf8')) as { version: string };
  return pkg.version;
}

/** BullMQ loads ioredis, its optional peer, itself: say so plainly when it is not installed. */
function needRedisClient(): void {
  try {
    createRequire(fileURLToPath(import.meta.resolve('bullmq'))).resolve('ioredis');
  } catch {
    throw new Error('the BullMQ benchmark needs ioredis, the peer dependency BullMQ connects with: npm install --save-dev ioredis@6.0.0');
  }
}

export async function bullmqFigures(options: BullmqBenchOptions): Promise<QueueFigures[]> {
  needRedisClient();
  const sizes = options.quick ? QUICK : FULL;
  const figures: QueueFigures[] = [];
  for (const workers of options.workers ?? [4, 8]) figures.push(await oneSetting(workers, options.concurrency ?? 1, sizes));
  return figures;
}

export async function run(options: BenchOptions): Promise<void> {
  const figures = await bullmqFigures({ quick: options.quick });
  for (const f of figures)
    progress(`bullmq, ${f.workers} workers: latency run at ${f.latencyRatePerSec.toFixed(0)} jobs/s, ${f.latencyJobs} jobs`);
  report(
    `agents: BullMQ ${bullmqVersion()} alone (VisionFlow's figures: npm run bench -- agents) on Redis ${REDIS.host}:${REDIS.port} (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    figures.flatMap((f) => queueFigureRows(undefined, f)),
  );
}

async function oneSetting(workers: number, concurrency: number, sizes: Sizes): Promise<QueueFigures> {
  const name = `vf-bench-agents-${randomUUID()}`;
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  // Each job writes about four events (added, waiting, active, completed); BullMQ trims the
  // stream at 10,000 by default, which loses completions the producer has not read yet.
  const maxLen = 10 * Math.max(sizes.jobs, sizes.latencyJobs);
  const queue = new Queue(name, {
    connection,
    streams: { events: { maxLen } },
    defaultJobOptions: { removeOnComplete: false, removeOnFail: false },
  });
  const events = new QueueEvents(name, { connection });
  const children: ChildProcess[] = [];
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    for (let i = 0; i < workers; i++) children.push(await forkWorker({ queue: name, ...REDIS, concurrency }));
    progress(`bullmq: ${workers} workers ready on ${name}`);
    const completions = new Completions(events);
    const throughputPerSec = await throughput(queue, completions, sizes.jobs);
    progress(`bullmq: ${workers} workers: ${throughputPerSec.toFixed(0)} jobs/s`);
    const rate = throughputPerSec / 2;
    const latencyJobs = Math.max(100, Math.min(sizes.latencyJobs, Math.floor((rate * sizes.maxLatencyRunMs) / 1000)));
    const latencies = await latency(queue, completions, latencyJobs, rate);
    return {
      system: `bullmq ${bullmqVersion()}`,
      workers,
      concurrency,
      jobs: sizes.jobs,
      throughputPerSec,
      latencyRatePerSec: rate,
      latencyJobs,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    };
  } finally {
    await Promise.all(children.map(stopWorker));
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** Completions seen through QueueEvents, by job id, with when they were seen. */
class Completions {
  private readonly waiters = new Map<string, (atMs: number) => void>();
  constructor(events: QueueEvents) {
    events.on('completed', ({ jobId }) => {
      const now = performance.now();
      const waiter = this.waiters.get(jobId);
      if (waiter === undefined) return;
      this.waiters.delete(jobId);
      waiter(now);
    });
  }

  /** Resolves with the time the completion of `jobId` is seen; register before adding the job. */
  expect(jobId: string): Promise<number> {
    return new Promise((resolve) => this.waiters.set(jobId, resolve));
  }
}

async function throughput(queue: Queue, completions: Completions, jobs: number): Promise<number> {
  const prefix = `t-${randomUUID()}-`;
  const done = Array.from({ length: jobs }, (_, i) => completions.expect(`${prefix}${i}`));
  const start = performance.now();
  for (let from = 0; from < jobs; from += ADD_WINDOW) {
    const adds: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(jobs, from + ADD_WINDOW); i++) adds.push(queue.add('task', { i }, { jobId: `${prefix}${i}` }));
    await Promise.all(adds);
  }
  const last = Math.max(...(await withDeadline(Promise.all(done), DEADLINE_MS, `${jobs} completions`)));
  return (jobs * 1000) / (last - start);
}

/** Latency of each of `jobs` jobs added at `ratePerSec`, open loop (the schedule never waits for a completion). */
async function latency(queue: Queue, completions: Completions, jobs: number, ratePerSec: number): Promise<number[]> {
  const prefix = `l-${randomUUID()}-`;
  const intervalMs = 1000 / ratePerSec;
  const start = performance.now();
  const samples: Promise<number>[] = [];
  for (let i = 0; i < jobs; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const jobId = `${prefix}${i}`;
    const seen = completions.expect(jobId);
    const submitted = performance.now();
    samples.push(queue.add('task', { i }, { jobId }).then(async () => (await seen) - submitted));
  }
  return withDeadline(Promise.all(samples), DEADLINE_MS, `${jobs} latency samples`);
}

/** `work`, or a failure naming `what` once `ms` have passed without it. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bullmq: ${what} not seen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function forkWorker(args: BullmqLoadArgs): Promise<ChildProcess> {
  const child = fork(LOAD, [JSON.stringify(args)], { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await readyOf(child, 'bullmq worker', 60_000);
  return child;
}

const stopWorker = (child: ChildProcess): Promise<void> => stopChild(child, 5_000);
