// Part of `npm run bench -- protocol`: a big shortest-path result on its way to clients, on the
// thread that streams positions. Ours: the port's gather into typed arrays (in slices; for the
// results of the GPU and of the in-thread fallback), one envelope written in bulk, a stamped head
// per receiver (the body shared); and the same when the worker has gathered the vectors straight
// into the envelope already. The peer is the object
// API the gateway used before, on the same result in the same run: the reached nodes as JS arrays
// of numbers, then SsspResultT packed by encodeEnvelope once per receiver. Then the restriction of
// the result to a 10k-node view: ours (a bitset) against a binary search per node.
import { figure, progress, type Figure } from './report.ts';
import { resultToWire } from '../src/actors/sssp-port.ts';
import { resultInView } from '../src/gateway/sssp-view.ts';
import { sortedHas } from '../src/gateway/sorted-ids.ts';
import { draftSsspResultEnvelope, stampEnvelope } from '../src/protocol/envelope/sssp-result-envelope.ts';
import { encodeEnvelope, SsspResultT } from '../src/protocol/index.ts';
import type { SsspResult } from '../src/sssp/engine.ts';
import { gatherWire } from '../src/sssp/wire-vectors.ts';
import { mulberry32 } from '../test/helpers/mulberry32.ts';

const SUITE = 'protocol';
const OBJECT_API = 'flatbuffers-object-api';

/** n reached nodes in a random settle order (as on a random graph), each the child of the one before. */
function syntheticResult(n: number): SsspResult {
  const random = mulberry32(42);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const distance = new Float64Array(n);
  const parent = new Int32Array(n).fill(-1);
  order.forEach((index, k) => {
    distance[index] = k / 8;
    if (k > 0) parent[index] = order[k - 1]!;
  });
  const ids = Uint32Array.from({ length: n }, (_, i) => i + 1);
  return {
    engine: 'cpu',
    version: 1,
    source: ids[order[0]!]!,
    sourceIndex: order[0]!,
    size: n,
    ids,
    distance,
    parent,
    order,
    sorted: true,
    complete: true,
    maxDistance: Infinity,
    elapsedMs: 0,
  };
}

/** What the port and the sessions did before: JS arrays, then the object API once per receiver. */
function objectApiPath(r: SsspResult, receivers: number): { totalMs: number; longestMs: number } {
  let t = performance.now();
  const nodes: number[] = [];
  const distances: number[] = [];
  const parents: number[] = [];
  for (const index of r.order) {
    nodes.push(r.ids[index]!);
    distances.push(r.distance[index]!);
    const parent = r.parent[index]!;
    parents.push(parent < 0 ? r.ids[index]! : r.ids[parent]!);
  }
  const result = new SsspResultT(r.source, nodes, distances, parents, r.complete);
  let longest = performance.now() - t;
  let total = longest;
  for (let k = 0; k < receivers; k++) {
    t = performance.now();
    encodeEnvelope({ seq: k + 1, correlationId: 0, payload: result });
    const ms = performance.now() - t;
    total += ms;
    longest = Math.max(longest, ms);
  }
  return { totalMs: total, longestMs: longest };
}

async function oursPath(
  r: SsspResult,
  receivers: number,
): Promise<{ totalMs: number; longestMs: number; wire: Awaited<ReturnType<typeof resultToWire>> }> {
  let total = 0;
  let longest = 0;
  let sliceStart = performance.now();
  // The time between yields is one block of the event loop; the yields themselves are not work.
  const wire = await resultToWire(r, async () => {
    const ms = performance.now() - sliceStart;
    total += ms;
    longest = Math.max(longest, ms);
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  });
  const last = performance.now() - sliceStart;
  total += last;
  longest = Math.max(longest, last);
  let t = performance.now();
  const template = wire.template();
  let ms = performance.now() - t;
  total += ms;
  longest = Math.max(longest, ms);
  for (let k = 0; k < receivers; k++) {
    t = performance.now();
    stampEnvelope(template, k + 1, 0);
    ms = performance.now() - t;
    total += ms;
    longest = Math.max(longest, ms);
  }
  return { totalMs: total, longestMs: longest, wire };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function ssspWireFigures(quick: boolean): Promise<Figure[]> {
  const n = quick ? 100_000 : 1_000_000;
  const receivers = 10;
  const label = quick ? '100k' : '1m';
  progress(`SSSP result of ${n} nodes to ${receivers} receivers`);
  const r = syntheticResult(n);
  const rounds = quick ? 2 : 3;
  const ours: { totalMs: number; longestMs: number }[] = [];
  const oursGathered: { totalMs: number; longestMs: number }[] = [];
  const peer: { totalMs: number; longestMs: number }[] = [];
  let wire: Awaited<ReturnType<typeof resultToWire>> | undefined;
  for (let k = 0; k < rounds; k++) {
    const o = await oursPath(r, receivers);
    wire = o.wire;
    ours.push(o);
    // As the worker hands it over: gathered beside the query, off this thread, straight into the
    // envelope (untimed here, as it costs this thread nothing).
    const draft = draftSsspResultEnvelope(r.source, r.order.length, r.complete);
    gatherWire(r.ids, r.distance, r.parent, r.order, draft);
    oursGathered.push(await oursPath({ ...r, wire: draft }, receivers));
    peer.push(objectApiPath(r, receivers));
  }
  // A 10k-node view spread over the ids: what a filtered client keeps.
  const view = Uint32Array.from({ length: 10_000 }, (_, i) => 1 + Math.floor((i * n) / 10_000));
  const viewMs: number[] = [];
  const searchMs: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const fresh = view.slice(); // a new view each round: nothing cached from the last one
    let t = performance.now();
    resultInView(wire!, fresh);
    viewMs.push(performance.now() - t);
    t = performance.now();
    let kept = 0;
    for (let i = 0; i < wire!.size; i++) if (sortedHas(fresh, wire!.nodes[i]!)) kept++;
    searchMs.push(performance.now() - t);
    if (kept !== 10_000) throw new Error(`the view should keep 10000 nodes, kept ${kept}`);
  }
  return [
    figure(SUITE, `sssp_result_${label}_to_${receivers}_receivers_main_thread_ms`, median(ours.map((o) => o.totalMs)), 'ms', {
      name: OBJECT_API,
      value: median(peer.map((p) => p.totalMs)),
    }),
    figure(SUITE, `sssp_result_${label}_to_${receivers}_receivers_longest_block_ms`, median(ours.map((o) => o.longestMs)), 'ms', {
      name: OBJECT_API,
      value: median(peer.map((p) => p.longestMs)),
    }),
    figure(
      SUITE,
      `sssp_result_${label}_from_worker_to_${receivers}_receivers_main_thread_ms`,
      median(oursGathered.map((o) => o.totalMs)),
      'ms',
      { name: OBJECT_API, value: median(peer.map((p) => p.totalMs)) },
    ),
    figure(
      SUITE,
      `sssp_result_${label}_from_worker_to_${receivers}_receivers_longest_block_ms`,
      median(oursGathered.map((o) => o.longestMs)),
      'ms',
      { name: OBJECT_API, value: median(peer.map((p) => p.longestMs)) },
    ),
    figure(SUITE, `sssp_result_${label}_restricted_to_10k_view_ms`, median(viewMs), 'ms', {
      name: 'binary-search',
      value: median(searchMs),
    }),
  ];
}
