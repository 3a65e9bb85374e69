// `npm run bench -- protocol`: position-stream bytes and codec time against the original
// VisionFlow's 36-byte-per-node binary layout and JSON, on the same frames in the same run; then the
// average bytes per node per frame over 60 s of a 10k-node layout settling: the physics actor itself
// (CPU worker engine, default parameters, its cooling and sleep) lays out a Barabasi-Albert (m = 2)
// graph on a virtual clock, one 60 Hz frame per 1/60 s of simulated time whatever the step costs;
// and a big shortest-path result on its way to clients (bench/sssp-wire.ts).
import { figure, progress, report, type Figure } from './report.ts';
import { ssspWireFigures } from './sssp-wire.ts';
import { physicsActor } from '../src/actors/physics.ts';
import { physicsSupervision } from '../src/supervisors/app-tree.ts';
import type { PhysicsFrame, PhysicsMsg, PhysicsStats } from '../src/actors/physics-messages.ts';
import { cpuCandidate } from '../src/actors/physics-engines.ts';
import { PositionStreamEncoder, applyFrame, decodeFrame, forEachEntry, type PositionFrame } from '../src/protocol/index.ts';
import { EngineSelector } from '../src/physics/engine-selector.ts';
import { barabasiAlbert, toTopology } from '../src/physics/generators.ts';
import { VirtualClock } from '../src/shared/clock.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { mulberry32 } from '../test/helpers/mulberry32.ts';
import { advanceSettled } from '../test/helpers/system.ts';

const SUITE = 'protocol';
const PEER36 = 'visionflow-36B';
const JSON_PEER = 'json';

// ---- the peers, re-created from their description -------------------------------------------
// VisionFlow v2 wire record: u32 id, 3 x f32 position, 3 x f32 velocity, u32 SSSP distance, u32
// SSSP parent = 36 bytes per node, no header; a delta sends the same record for each moved node.
function encode36(ids: Uint32Array, pos: Float32Array, vel: Float32Array, which: Uint32Array | null, count: number): Uint8Array {
  const buf = new ArrayBuffer(36 * count);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  for (let k = 0; k < count; k++) {
    const i = which === null ? k : which[k]!;
    const o = 9 * k;
    u[o] = ids[i]!;
    f[o + 1] = pos[3 * i]!;
    f[o + 2] = pos[3 * i + 1]!;
    f[o + 3] = pos[3 * i + 2]!;
    f[o + 4] = vel[3 * i]!;
    f[o + 5] = vel[3 * i + 1]!;
    f[o + 6] = vel[3 * i + 2]!;
    u[o + 7] = 0;
    u[o + 8] = 0;
  }
  return new Uint8Array(buf);
}

/** The receiver's side: look each id up and write position and velocity into its arrays. */
function decode36(bytes: Uint8Array, indexOfId: Map<number, number> | null, pos: Float32Array, vel: Float32Array): void {
  const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let o = 0; o < u.length; o += 9) {
    const i = indexOfId === null ? u[o]! : indexOfId.get(u[o]!)!;
    pos[3 * i] = f[o + 1]!;
    pos[3 * i + 1] = f[o + 2]!;
    pos[3 * i + 2] = f[o + 3]!;
    vel[3 * i] = f[o + 4]!;
    vel[3 * i + 1] = f[o + 5]!;
    vel[3 * i + 2] = f[o + 6]!;
  }
}

/** JSON as a REST/WebSocket text API would send it: id and position per node. */
function encodeJson(seq: number, ids: Uint32Array, pos: Float32Array, which: Uint32Array | null, count: number): Uint8Array {
  const nodes: number[][] = new Array<number[]>(count);
  for (let k = 0; k < count; k++) {
    const i = which === null ? k : which[k]!;
    nodes[k] = [ids[i]!, pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!];
  }
  return textEncoder.encode(JSON.stringify({ seq, nodes }));
}

function decodeJson(bytes: Uint8Array, indexOfId: Map<number, number> | null, pos: Float32Array): void {
  const msg = JSON.parse(textDecoder.decode(bytes)) as { nodes: [number, number, number, number][] };
  for (const [id, x, y, z] of msg.nodes) {
    const i = indexOfId === null ? id : indexOfId.get(id)!;
    pos[3 * i] = x;
    pos[3 * i + 1] = y;
    pos[3 * i + 2] = z;
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

// ---- timing ---------------------------------------------------------------------------------
/** Median milliseconds of fn over `runs` runs, after a warm-up long enough for the optimising JIT. */
/**
 * Median time of `fn` in steady state. Frames of 100k nodes are ~600 KB: until glibc's malloc has
 * raised its mmap threshold (after a few hundred such frees), each one comes from fresh mmap'd pages
 * and pays their faults, which a long-running server stops paying. Hence the long warm-up.
 */
function time(runs: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.max(30, Math.min(400, 10 * runs)); i++) fn(i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

function layout(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const r = 10 * Math.cbrt(n) * 2;
  return Float32Array.from({ length: 3 * n }, () => (rand() * 2 - 1) * r);
}

function frameOf(bytes: Uint8Array | null): PositionFrame {
  const r = bytes === null ? null : decodeFrame(bytes);
  if (r === null || !r.ok) throw new Error('bench produced an undecodable frame');
  return r.value;
}

// ---- synthetic frames at 10k and 100k -----------------------------------------------------------
const MOVED_FRACTION = 0.1; // a delta in mid-settling: one node in ten moved past the threshold

function frames(n: number, quick: boolean): Figure[] {
  const label = `${n / 1000}k`;
  const ids = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0); // sparse 32-bit ids
  const indexOfId = new Map<number, number>();
  ids.forEach((id, i) => indexOfId.set(id, i));
  const p0 = layout(n, n);
  const vel = layout(n, n + 1).map((v) => v / 100);
  const rand = mulberry32(7);
  const p1 = p0.slice();
  const moved: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() < MOVED_FRACTION) {
      moved.push(i);
      for (let a = 0; a < 3; a++) p1[3 * i + a]! += (rand() < 0.5 ? -1 : 1) * (1 + rand());
    }
  }
  const movedIdx = Uint32Array.from(moved);
  const m = moved.length;
  const runs = quick ? 10 : n >= 100_000 ? 40 : 200;
  const jsonRuns = quick ? 3 : 10;
  const out: Figure[] = [];

  // Keyframe.
  const enc = new PositionStreamEncoder({ threshold: 0.5, keyframeInterval: 1_000_000 });
  const key = enc.encode({ epoch: 0, positions: p0 })!;
  const key36 = encode36(ids, p0, vel, null, n);
  const keyJson = encodeJson(0, ids, p0, null, n);
  out.push(figure(SUITE, `keyframe_${label}_bytes_per_node`, key.length / n, 'B/node', { name: PEER36, value: key36.length / n }));
  out.push(
    figure(SUITE, `keyframe_${label}_bytes_per_node_vs_json`, key.length / n, 'B/node', { name: JSON_PEER, value: keyJson.length / n }),
  );
  const tKeyEnc = time(runs, () => {
    enc.forceKeyframe();
    enc.encode({ epoch: 0, positions: p0 });
  });
  const t36Enc = time(runs, () => encode36(ids, p0, vel, null, n));
  const tJsonEnc = time(jsonRuns, () => encodeJson(0, ids, p0, null, n));
  out.push(figure(SUITE, `keyframe_${label}_encode_ms`, tKeyEnc, 'ms', { name: PEER36, value: t36Enc }));
  out.push(figure(SUITE, `keyframe_${label}_encode_ms_vs_json`, tKeyEnc, 'ms', { name: JSON_PEER, value: tJsonEnc }));
  // The physics actor hands the encoder its octree's root box: the keyframe then skips measuring it.
  const bounds = boundsOf(p0);
  const tKeyEncBounds = time(runs, () => {
    enc.forceKeyframe();
    enc.encode({ epoch: 0, positions: p0, bounds });
  });
  out.push(figure(SUITE, `keyframe_${label}_encode_known_bounds_ms`, tKeyEncBounds, 'ms', { name: PEER36, value: t36Enc }));
  const target = new Float32Array(3 * n);
  const targetVel = new Float32Array(3 * n);
  const tKeyView = time(runs, () => decodeFrame(key));
  const tKeyDec = time(runs, () => applyFrame(frameOf(key), target));
  const t36Dec = time(runs, () => decode36(key36, null, target, targetVel));
  const tJsonDec = time(jsonRuns, () => decodeJson(keyJson, null, target));
  out.push(figure(SUITE, `keyframe_${label}_decode_views_ms`, tKeyView, 'ms'));
  out.push(figure(SUITE, `keyframe_${label}_decode_apply_ms`, tKeyDec, 'ms', { name: PEER36, value: t36Dec }));
  out.push(figure(SUITE, `keyframe_${label}_decode_apply_ms_vs_json`, tKeyDec, 'ms', { name: JSON_PEER, value: tJsonDec }));

  // Delta: p0 -> p1 and back, so each timed encode produces the same-sized delta.
  enc.forceKeyframe();
  enc.encode({ epoch: 0, positions: p0 });
  const delta = enc.encode({ epoch: 0, positions: p1 })!;
  let entries = 0;
  forEachEntry(frameOf(delta), () => entries++);
  if (entries !== m) throw new Error(`delta carries ${entries} nodes, ${m} moved`);
  const delta36 = encode36(ids, p1, vel, movedIdx, m);
  const deltaJson = encodeJson(1, ids, p1, movedIdx, m);
  out.push(
    figure(SUITE, `delta_${label}_bytes_per_moved_node`, delta.length / m, 'B/moved node', { name: PEER36, value: delta36.length / m }),
  );
  out.push(
    figure(SUITE, `delta_${label}_bytes_per_moved_node_vs_json`, delta.length / m, 'B/moved node', {
      name: JSON_PEER,
      value: deltaJson.length / m,
    }),
  );
  const tDeltaEnc = time(runs, (i) => enc.encode({ epoch: 0, positions: i % 2 === 0 ? p0 : p1 }));
  // The peers must find the moved nodes too: compare against the previous frame.
  const find = (prev: Float32Array, next: Float32Array, into: Uint32Array): number => {
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (prev[3 * i] !== next[3 * i] || prev[3 * i + 1] !== next[3 * i + 1] || prev[3 * i + 2] !== next[3 * i + 2]) into[c++] = i;
    }
    return c;
  };
  const scratch = new Uint32Array(n);
  const t36DeltaEnc = time(runs, () => encode36(ids, p1, vel, scratch, find(p0, p1, scratch)));
  const tJsonDeltaEnc = time(jsonRuns, () => encodeJson(1, ids, p1, scratch, find(p0, p1, scratch)));
  out.push(figure(SUITE, `delta_${label}_encode_ms`, tDeltaEnc, 'ms', { name: PEER36, value: t36DeltaEnc }));
  out.push(figure(SUITE, `delta_${label}_encode_ms_vs_json`, tDeltaEnc, 'ms', { name: JSON_PEER, value: tJsonDeltaEnc }));
  const tDeltaView = time(runs, () => decodeFrame(delta));
  const tDeltaDec = time(runs, () => applyFrame(frameOf(delta), target));
  const t36DeltaDec = time(runs, () => decode36(delta36, indexOfId, target, targetVel));
  const tJsonDeltaDec = time(jsonRuns, () => decodeJson(deltaJson, indexOfId, target));
  out.push(figure(SUITE, `delta_${label}_decode_views_ms`, tDeltaView, 'ms'));
  out.push(figure(SUITE, `delta_${label}_decode_apply_ms`, tDeltaDec, 'ms', { name: PEER36, value: t36DeltaDec }));
  out.push(figure(SUITE, `delta_${label}_decode_apply_ms_vs_json`, tDeltaDec, 'ms', { name: JSON_PEER, value: tJsonDeltaDec }));
  return out;
}

// ---- 60 s of a 10k-node layout settling, laid out by the physics actor ---------------------------
async function settling(quick: boolean): Promise<Figure[]> {
  const n = 10_000;
  const seconds = quick ? 10 : 60;
  const frameCount = seconds * 60;
  const clock = new VirtualClock();
  const system = new ActorSystem({ name: 'bench-settling', clock, random: mulberry32(42) });
  const selector = new EngineSelector([cpuCandidate()], { failuresBeforeFallback: 3 });
  const physics = system.spawn<PhysicsMsg>(physicsActor({ selector }), { name: 'physics', supervision: physicsSupervision(selector) });
  const inbox: PhysicsFrame[] = [];
  const subscriber = system.spawn<PhysicsFrame>(() => ({ receive: (f) => void inbox.push(f) }), { name: 'stream' });
  const g = toTopology(barabasiAlbert(n, 2, mulberry32(42)));
  physics.tell({ type: 'reset', version: 1, nodes: g.nodes, edges: g.edges });
  physics.tell({ type: 'subscribe-frames', subscriber, hz: 60 });
  // The worker threads start in real time: the clock stands still until the engine is in place.
  for (;;) {
    const stats = await system.ask<PhysicsMsg, PhysicsStats>(physics, (replyTo) => ({ type: 'stats', replyTo }), 60_000);
    if (stats.engine !== 'none') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  inbox.length = 0;
  // One frame period of virtual time per loop: each due timer fires and what it causes (the engine
  // step on the worker threads included) finishes before the clock moves on.
  const advance = (ms: number): Promise<void> => advanceSettled(system, clock, ms);
  const enc = new PositionStreamEncoder(); // defaults: K = 60, threshold = box extent / 4096
  const movedScratch = new Uint32Array(n);
  let ours = 0,
    peer36 = 0,
    json = 0,
    keyframes = 0,
    emitted = 0,
    physicsFrames = 0;
  for (let f = 0; f < frameCount; f++) {
    await advance(1000 / 60);
    const frame = inbox.pop();
    inbox.length = 0;
    if (frame === undefined) continue; // asleep, or nothing moved: the stream sends nothing
    physicsFrames++;
    const bytes = enc.encode({ epoch: frame.epoch, positions: frame.positions });
    if (bytes !== null) {
      ours += bytes.length;
      emitted++;
      const decoded = frameOf(bytes);
      if (decoded.kind === 'keyframe') keyframes++;
      // Peers send the same nodes: everything on our keyframes, the same moved set otherwise.
      let m = 0;
      if (decoded.kind === 'keyframe') for (let i = 0; i < n; i++) movedScratch[m++] = i;
      else forEachEntry(decoded, (i) => (movedScratch[m++] = i));
      peer36 += 36 * m;
      json += encodeJson(f, frame.ids, frame.positions, movedScratch, m).length;
    }
    if (f % 600 === 599)
      progress(`settling: ${(f + 1) / 60} s simulated, ${physicsFrames} physics frames, ${emitted} sent, ${keyframes} keyframes`);
  }
  await system.terminate();
  const perNodeFrame = (total: number): number => total / (n * frameCount);
  return [
    figure(SUITE, `settling_10k_${seconds}s_bytes_per_node_per_frame`, perNodeFrame(ours), 'B/node/frame', {
      name: PEER36,
      value: perNodeFrame(peer36),
    }),
    figure(SUITE, `settling_10k_${seconds}s_bytes_per_node_per_frame_vs_json`, perNodeFrame(ours), 'B/node/frame', {
      name: JSON_PEER,
      value: perNodeFrame(json),
    }),
    // The same bytes over the frames actually sent: the cost while the layout is still moving.
    figure(SUITE, `settling_10k_${seconds}s_bytes_per_node_per_sent_frame`, ours / (n * Math.max(1, emitted)), 'B/node/frame', {
      name: PEER36,
      value: peer36 / (n * Math.max(1, emitted)),
    }),
    figure(SUITE, `settling_10k_${seconds}s_physics_frames`, physicsFrames, 'frames'),
    figure(SUITE, `settling_10k_${seconds}s_frames_sent`, emitted, 'frames'),
    figure(SUITE, `settling_10k_${seconds}s_keyframes_sent`, keyframes, 'frames'),
  ];
}

export async function run(opts: { quick: boolean }): Promise<void> {
  const figures: Figure[] = [];
  for (const n of [10_000, 100_000]) {
    progress(`frames at ${n} nodes`);
    figures.push(...frames(n, opts.quick));
  }
  progress('settling trace');
  figures.push(...(await settling(opts.quick)));
  figures.push(...(await ssspWireFigures(opts.quick)));
  report('protocol: position stream (ours: 16-bit quantised keyframes and deltas) and shortest-path results to clients', figures);
}

/** [min x, y, z, max x, y, z] of xyz triples, as a producer that tracks its extent would supply. */
function boundsOf(p: Float32Array): number[] {
  const box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let j = 0; j < p.length; j += 3) {
    for (let a = 0; a < 3; a++) {
      box[a] = Math.min(box[a]!, p[j + a]!);
      box[a + 3] = Math.max(box[a + 3]!, p[j + a]!);
    }
  }
  return box;
}
