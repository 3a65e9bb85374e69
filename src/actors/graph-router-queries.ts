// The graph router's queries. Each fans out to the shards that must answer it and never blocks the
// router: it is sent on and the answers are gathered outside the handler. The gathering touches no
// router state (what it needs from the directory is read before the asks go out), so it replies
// from the promise callback itself rather than by a message to self. A node's neighbours come from
// the directory (which indexes incoming and outgoing edges alike, wherever the edge lives) and their
// values from the shards that own them; a title search asks every shard for its best matches and
// merges them.
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { NodeValue } from '../graph/model.ts';
import { MAX_QUERY_LENGTH, MAX_RESULTS, TopHits, type SearchHit } from '../graph/search.ts';
import type { Ref } from '../runtime/ref.ts';
import type { GraphShardMsg } from './graph-shard.ts';
import type { NeighboursReply, NodeReply, NodesReply, QueryFailure, SearchReply } from './graph-router.ts';
import type { RouterState } from './graph-router-state.ts';

/** Asks one shard; a shard that cannot answer now fails the ask at once, with the reason naming it. */
export function askShard<R>(s: RouterState, shard: number, build: (replyTo: Ref<R>) => GraphShardMsg): Promise<R> {
  const down = s.o.health.unavailable(shard);
  if (down !== undefined) return Promise.reject(new Error(down));
  return s.ctx.ask<GraphShardMsg, R>(s.shards[shard]!, build, s.queryTimeoutMs);
}

function unavailable(what: string, error: unknown): QueryFailure {
  return { ok: false, code: 'unavailable', message: `${what}: ${error instanceof Error ? error.message : String(error)}` };
}

function badLimit(limit: number): QueryFailure | undefined {
  return Number.isInteger(limit) && limit >= 1 && limit <= MAX_RESULTS
    ? undefined
    : { ok: false, code: 'invalid', message: `limit must be an integer in [1, ${MAX_RESULTS}]` };
}

/** The values of `ids` from the shards that own them, by id (undefined: the shard has none). */
function nodeValues(s: RouterState, ids: readonly number[]): Promise<Map<number, NodeValue | undefined>> {
  const byShard = new Map<number, number[]>();
  for (const n of ids) {
    const shard = s.o.partitioner.shardOfNode(n);
    let list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, (list = []));
    list.push(n);
  }
  const asks = [...byShard].map(([shard, list]) =>
    askShard<readonly (NodeValue | undefined)[]>(s, shard, (r) => ({ type: 'get-nodes', ids: list, replyTo: r })).then((values) =>
      values.map((v, i) => [list[i]!, v] as const),
    ),
  );
  return Promise.all(asks).then((answers) => new Map<number, NodeValue | undefined>(answers.flat()));
}

export function neighbours(s: RouterState, id: number, limit: number, replyTo: Ref<NeighboursReply>): void {
  const bad = badLimit(limit);
  if (bad !== undefined) return replyTo.tell(bad);
  if (!Number.isInteger(id) || !s.dir.hasNode(id)) return replyTo.tell({ ok: true, nodes: undefined });
  const ids = s.dir.neighbours(id, limit);
  nodeValues(s, ids).then(
    (values) => {
      const nodes: NodeValue[] = [];
      for (const n of ids) {
        const v = values.get(n);
        if (v !== undefined) nodes.push(v);
      }
      replyTo.tell({ ok: true, nodes });
    },
    (error: unknown) => replyTo.tell(unavailable('neighbours', error)),
  );
}

export function nodesById(s: RouterState, ids: readonly number[], replyTo: Ref<NodesReply>): void {
  if (!Array.isArray(ids) || ids.length > MAX_RESULTS)
    return replyTo.tell({ ok: false, code: 'invalid', message: `at most ${MAX_RESULTS} ids` });
  const live = [...new Set(ids)].filter((id) => Number.isInteger(id) && s.dir.hasNode(id));
  nodeValues(s, live).then(
    (values) => replyTo.tell({ ok: true, nodes: live.flatMap((id) => values.get(id) ?? []) }),
    (error: unknown) => replyTo.tell(unavailable('nodes', error)),
  );
}

export function search(s: RouterState, query: string, limit: number, replyTo: Ref<SearchReply>): void {
  const bad = badLimit(limit);
  if (bad !== undefined) return replyTo.tell(bad);
  if (typeof query !== 'string' || query.length === 0 || query.length > MAX_QUERY_LENGTH) {
    return replyTo.tell({ ok: false, code: 'invalid', message: `a query is 1 to ${MAX_QUERY_LENGTH} characters` });
  }
  const q = query.toLowerCase();
  Promise.all(
    s.shards.map((_, shard) => askShard<readonly SearchHit[]>(s, shard, (r) => ({ type: 'search', query: q, limit, replyTo: r }))),
  ).then(
    (lists) => {
      const top = new TopHits(limit);
      for (const list of lists) for (const hit of list) top.add(hit);
      replyTo.tell({ ok: true, nodes: top.result().map((h) => h.node) });
    },
    (error: unknown) => replyTo.tell(unavailable('search', error)),
  );
}

/** The node's value, or a failure naming its shard when that shard cannot answer. */
export function nodeValue(s: RouterState, id: number, replyTo: Ref<NodeReply>): void {
  if (!Number.isInteger(id) || id < 0 || !s.dir.hasNode(id)) return replyTo.tell({ ok: true, node: undefined });
  askShard<LwwRegister<NodeValue> | undefined>(s, s.o.partitioner.shardOfNode(id), (r) => ({ type: 'get-node', id, replyTo: r })).then(
    (reg) => replyTo.tell({ ok: true, node: reg?.value }),
    (error: unknown) => replyTo.tell(unavailable('node', error)),
  );
}
