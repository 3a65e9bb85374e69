// The figures of one durable task queue under the agents benchmark, the same shape for VisionFlow's
// task queue (bench/agents.ts) and its peer BullMQ (bench/agents-bullmq.ts), so that the two are
// reported side by side: throughput of a fixed number of jobs through submit -> work -> completed
// with N worker processes doing no work, then the end-to-end latency (submit to completion seen by
// the submitter) at half that throughput.
import { figure, type Figure } from './report.ts';

export interface QueueFigures {
  /** What was measured, with its version ("bullmq 6.7.6"). */
  readonly system: string;
  /** Worker processes (agents), each taking `concurrency` jobs at once. */
  readonly workers: number;
  readonly concurrency: number;
  /** Jobs of the throughput run. */
  readonly jobs: number;
  readonly throughputPerSec: number;
  /** The open-loop rate of the latency run (half the throughput) and its job count. */
  readonly latencyRatePerSec: number;
  readonly latencyJobs: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

export const SUITE = 'agents';

/**
 * Rows for the report: VisionFlow's figures (`ours`) with the peer's beside them. Either may be
 * missing: a peer measured alone (npm run bench -- agents-bullmq) shows as a peer value with no
 * value of ours (null in the JSON line). Latency rows are named by the rate's rule (half the
 * throughput), not its figure, so that the rows of both systems meet.
 */
export function queueFigureRows(ours: QueueFigures | undefined, peer: QueueFigures | undefined): Figure[] {
  const base = ours ?? peer;
  if (base === undefined) return [];
  const label = `${base.workers} workers x ${base.concurrency}`;
  const row = (metric: string, unit: string, pick: (f: QueueFigures) => number): Figure =>
    figure(
      SUITE,
      metric,
      ours === undefined ? Number.NaN : pick(ours),
      unit,
      peer === undefined ? undefined : { name: peer.system, value: pick(peer) },
    );
  return [
    row(`throughput, ${label}, ${base.jobs} jobs`, 'jobs/s', (f) => f.throughputPerSec),
    row(`latency p50 at half throughput, ${label}`, 'ms', (f) => f.latencyP50Ms),
    row(`latency p99 at half throughput, ${label}`, 'ms', (f) => f.latencyP99Ms),
  ];
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
