// How a graph router incarnation starts: the units an earlier one opened settle first (those still
// waiting for parts fail: nobody would answer them), so that the shards and storage hold exactly
// what committed; then the directory, the clock and the topology hub are built from each shard's
// slice, read from the shard, or from storage when it cannot give it (restarting over and over,
// stalled, or not in time), so that no shard holds up the router's recovery.
import { recoverShard } from '../graph/recover.ts';
import type { Ref } from '../runtime/ref.ts';
import { shardSlice, type GraphShardMsg, type ShardSlice } from './graph-shard.ts';
import type { RouterState } from './graph-router-state.ts';

export async function recoverRouter(s: RouterState, watchChanges: (s: RouterState) => void): Promise<void> {
  const { o, ctx } = s;
  s.shards = o.shardPaths.map((p) => {
    const ref = ctx.system.lookup<GraphShardMsg>(p);
    if (ref === undefined) throw new Error(`graph router: no shard at ${p}`);
    return ref;
  });
  o.health.attach(ctx.system);
  o.journal.failIncomplete('the graph router restarted before this update was complete');
  await o.journal.whenIdle();
  const answered = new Set<number>();
  const slices = await Promise.all(s.shards.map((ref, shard) => sliceOf(s, ref, shard, answered)));
  const undo: (() => void)[] = [];
  for (const slice of slices) {
    o.clock.observeTrusted(slice.maxStamp);
    for (const n of slice.nodes) s.dir.addNode(n.id, undo);
  }
  for (const slice of slices)
    for (const e of slice.edges) s.dir.addEdge(e.id, { source: e.source, target: e.target, directed: e.directed === true }, undo);
  o.hub.reseed(
    slices.flatMap((slice) => slice.nodes),
    slices.flatMap((slice) => slice.edges),
    o.journal.committedSeq,
  );
  // A shard that was not answering before this restart and answered its slice is back.
  for (const shard of answered) o.health.answered(shard);
  // Subscriptions outlive restarts; so do death watches, but renewing one is harmless.
  watchChanges(s);
}

/** The shard's slice from the shard (`answered` notes it), else from storage. */
async function sliceOf(s: RouterState, ref: Ref<GraphShardMsg>, shard: number, answered: Set<number>): Promise<ShardSlice> {
  const { o, ctx } = s;
  if (o.health.unavailable(shard) !== undefined) return fromStorage(s, shard);
  // A shard that fails meanwhile has lost the question with the failed message.
  const failure = o.health.nextFailure(shard);
  const asked = ctx.ask<GraphShardMsg, ShardSlice>(ref, (replyTo) => ({ type: 'slice', replyTo }), o.recoveryTimeoutMs ?? 15_000);
  asked.catch(() => undefined);
  const slice = await Promise.race([asked, failure.failed.then(() => undefined)]).catch(() => undefined);
  failure.cancel();
  if (slice === undefined) return fromStorage(s, shard);
  answered.add(shard);
  return slice;
}

async function fromStorage(s: RouterState, shard: number): Promise<ShardSlice> {
  const recovered = await recoverShard(s.o.db, shard);
  return shardSlice(recovered.state, recovered.lastUnit);
}
