// The gateway's GraphPort (src/gateway/ports.ts) on top of the graph subsystem: every call is a
// message to the router at parts.routerPath, with a bounded ask.
//
//   apply       the object-API mutation, stamped with the client's HLC when it carries one, becomes a
//               router command (one mapping with the envelope path: from-protocol.ts); the router
//               answers the session itself (apply-result.ts), right after the change's broadcast.
//               The ask around it only bounds the wait: when the router does not answer in time or
//               cannot be reached, the session is told 'unavailable' (and drops the router's answer
//               if it still comes).
//   version     the version of the last committed change, for the HTTP reads to report.
//   node        the router's node-value: a tombstone is no node; the one answer with the node's
//               content; a shard that cannot answer now is an error naming it.
//   neighbours  the router's neighbours query (in and out edges, across shards), at most 1000.
//   search      the router's title search (exact > prefix > substring, then shorter), at most 1000.
//   nodesById   the router's nodes query: the live nodes among up to 1000 ids, in the order asked,
//               with their content only when asked.
//   edgePage    a page of the router's edge directory (ids, endpoints and direction, no weights).
//   nodePage    a page of the router's node directory, each node as nodesById gives it (no
//               content), kept to one type when asked (a page may then hold fewer than asked).
//   subscribe   the router's change stream: GraphChanged per committed unit, in commit order, with
//               the session that asked for it; the router death-watches each subscriber.
//
// A query the graph cannot answer rejects with the runtime's AskTimeoutError or
// RecipientUnavailableError, which the HTTP API turns into 504 and 503.
import { AskTimeoutError, RecipientUnavailableError } from '../runtime/errors.ts';
import type { Ref } from '../runtime/ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type {
  EdgePageReply,
  GraphAck,
  GraphRouterMsg,
  NeighboursReply,
  NodeIdPageReply,
  NodeReply,
  NodesReply,
  SearchReply,
} from './graph-router.ts';
import type {
  GraphApplyRequest,
  GraphApplyResult,
  GraphChanged,
  GraphEdgePage,
  GraphNodePage,
  GraphNodeView,
  GraphPort,
} from '../gateway/ports.ts';
import type { ChangeHub } from '../graph/change-hub.ts';
import { commandFromMutation } from '../graph/from-protocol.ts';
import { MAX_NODE_ID, type NodeValue } from '../graph/model.ts';
import { MAX_QUERY_LENGTH, MAX_RESULTS } from '../graph/search.ts';

export interface GraphPortOptions {
  /**
   * How long apply waits for the commit (default 10 s). Past it the answer is 'unavailable',
   * though the change may still commit (and then reaches the change stream).
   */
  readonly applyTimeoutMs?: number;
  /** How long a read waits (default 10 s; the router gives the shards 5 s of it by default). */
  readonly queryTimeoutMs?: number;
}

/** A node as the HTTP API shows it (content is left out: it may be a megabyte). */
export function nodeView(n: NodeValue): GraphNodeView {
  const view: { -readonly [K in keyof GraphNodeView]: GraphNodeView[K] } = { id: n.id, kind: n.kind };
  if (n.type !== undefined) view.type = n.type;
  if (n.title !== undefined) view.title = n.title;
  if (n.position !== undefined) view.position = { x: n.position.x, y: n.position.y, z: n.position.z };
  if (n.metadata.length > 0) view.metadata = Object.fromEntries(n.metadata);
  return view;
}

/** One node on its own: the view with its content (the HTTP API bounds what it sends of it). */
export function nodeDetail(n: NodeValue): GraphNodeView {
  return n.content === undefined || n.content === '' ? nodeView(n) : { ...nodeView(n), content: n.content };
}

const clampLimit = (limit: number): number =>
  Number.isFinite(limit) ? Math.min(MAX_RESULTS, Math.max(1, Math.floor(limit))) : MAX_RESULTS;

const unavailable = (message: string): GraphApplyResult => ({ ok: false, code: 'unavailable', message });

/** Hands a session's change to the router; the answer goes to the session, or a failure when the router cannot take it. */
function applyChange(
  system: Pick<ActorSystem, 'ask'>,
  router: Ref<GraphRouterMsg> | undefined,
  request: GraphApplyRequest,
  applyTimeoutMs: number,
): void {
  const { replyTo, tag } = request;
  const answer = (result: GraphApplyResult): void => replyTo.tell({ type: 'graph-applied', answerTo: tag, result });
  let command: unknown;
  try {
    command = commandFromMutation(request.mutation, request.stamp);
  } catch (error) {
    return answer({ ok: false, code: 'invalid', message: `unreadable graph change: ${String(error)}` });
  }
  if (router === undefined) return answer(unavailable('the graph is not running'));
  system
    .ask<GraphRouterMsg, GraphAck>(
      router,
      (ack) => ({ type: 'update', command, origin: request.origin.session, replyTo: ack, answer: { to: replyTo, tag } }),
      applyTimeoutMs,
    )
    .catch((error: unknown) =>
      answer(
        error instanceof AskTimeoutError
          ? unavailable(`the graph did not answer within ${applyTimeoutMs} ms; the change may still be applied`)
          : unavailable(`the graph is not available: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
}

/** A page of the router's edge list from `offset`, with where the next one starts. */
async function edgePage(
  query: <R>(build: (replyTo: Ref<R>) => GraphRouterMsg) => Promise<R>,
  offset: number,
  limit: number,
): Promise<GraphEdgePage> {
  const from = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
  const reply = await query<EdgePageReply>((replyTo) => ({ type: 'edges', offset: from, limit: Math.max(0, Math.floor(limit)), replyTo }));
  const edges = reply.edges.map((e) => ({ id: e.id.toString(), source: e.source, target: e.target, directed: e.directed }));
  const end = from + edges.length;
  return end < reply.total && edges.length > 0
    ? { total: reply.total, offset: from, edges, next: end }
    : { total: reply.total, offset: from, edges };
}

/** A page of the router's node list, each node's view from the shards, of `type` only when given. */
async function nodePage(
  query: <R>(build: (replyTo: Ref<R>) => GraphRouterMsg) => Promise<R>,
  failed: (reply: { code: 'invalid' | 'unavailable'; message: string }) => Error,
  offset: number,
  limit: number,
  type: string | undefined,
): Promise<GraphNodePage> {
  const from = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
  const page = await query<NodeIdPageReply>((replyTo) => ({ type: 'node-ids', offset: from, limit: clampLimit(limit), replyTo }));
  const reply = page.ids.length === 0 ? undefined : await query<NodesReply>((replyTo) => ({ type: 'nodes', ids: page.ids, replyTo }));
  if (reply !== undefined && !reply.ok) throw failed(reply);
  const nodes = (reply?.nodes ?? []).map(nodeView).filter((n) => type === undefined || (n.type ?? '') === type);
  const end = from + page.ids.length;
  return end < page.total && page.ids.length > 0
    ? { total: page.total, offset: from, nodes, next: end }
    : { total: page.total, offset: from, nodes };
}

export function graphPort(
  system: Pick<ActorSystem, 'ask' | 'lookup'>,
  parts: { readonly routerPath: string; readonly changes?: ChangeHub },
  options: GraphPortOptions = {},
): GraphPort {
  const applyTimeoutMs = options.applyTimeoutMs ?? 10_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  const router = (): Ref<GraphRouterMsg> | undefined => system.lookup<GraphRouterMsg>(parts.routerPath);
  const need = (): Ref<GraphRouterMsg> => {
    const r = router();
    if (r === undefined) throw new RecipientUnavailableError(parts.routerPath, 'the graph is not running');
    return r;
  };
  const query = <R>(build: (replyTo: Ref<R>) => GraphRouterMsg): Promise<R> => system.ask<GraphRouterMsg, R>(need(), build, queryTimeoutMs);
  const failed = (reply: { code: 'invalid' | 'unavailable'; message: string }): Error =>
    reply.code === 'invalid' ? new RangeError(reply.message) : new RecipientUnavailableError(parts.routerPath, reply.message);
  return {
    apply(request: GraphApplyRequest): void {
      applyChange(system, router(), request, applyTimeoutMs);
    },

    version(): Promise<number> {
      return query<number>((replyTo) => ({ type: 'version', replyTo }));
    },

    async node(id: number): Promise<GraphNodeView | undefined> {
      if (!Number.isInteger(id) || id < 0 || id > MAX_NODE_ID) return undefined;
      const reply = await query<NodeReply>((replyTo) => ({ type: 'node-value', id, replyTo }));
      if (!reply.ok) throw failed(reply);
      return reply.node === undefined ? undefined : nodeDetail(reply.node);
    },

    async neighbours(id: number, limit: number): Promise<readonly GraphNodeView[] | undefined> {
      if (!Number.isInteger(id) || id < 0 || id > MAX_NODE_ID) return undefined;
      const reply = await query<NeighboursReply>((replyTo) => ({ type: 'neighbours', id, limit: clampLimit(limit), replyTo }));
      if (!reply.ok) throw failed(reply);
      if (reply.nodes === undefined) return undefined;
      return (limit < 1 ? [] : reply.nodes).map(nodeView);
    },

    async search(q: string, limit: number): Promise<readonly GraphNodeView[]> {
      if (q.length === 0 || limit < 1) return [];
      if (q.length > MAX_QUERY_LENGTH) throw new RangeError(`a query is at most ${MAX_QUERY_LENGTH} characters`);
      const reply = await query<SearchReply>((replyTo) => ({ type: 'search', query: q, limit: clampLimit(limit), replyTo }));
      if (!reply.ok) throw failed(reply);
      return reply.nodes.map(nodeView);
    },

    async nodesById(ids: readonly number[], withContent = false): Promise<readonly GraphNodeView[]> {
      const wanted = ids.filter((id) => Number.isInteger(id) && id >= 0 && id <= MAX_NODE_ID);
      if (wanted.length === 0) return [];
      if (wanted.length > MAX_RESULTS) throw new RangeError(`at most ${MAX_RESULTS} ids`);
      const reply = await query<NodesReply>((replyTo) => ({ type: 'nodes', ids: wanted, replyTo }));
      if (!reply.ok) throw failed(reply);
      return reply.nodes.map(withContent ? nodeDetail : nodeView);
    },

    edgePage(offset: number, limit: number): Promise<GraphEdgePage> {
      return edgePage(query, offset, limit);
    },

    nodePage(offset: number, limit: number, type?: string): Promise<GraphNodePage> {
      return nodePage(query, failed, offset, limit, type);
    },

    subscribe(subscriber: Ref<GraphChanged>): void {
      const r = router();
      // Before the graph starts, straight onto the hub: the router watches it when it starts.
      if (r === undefined) parts.changes?.subscribe(subscriber);
      else r.tell({ type: 'subscribe-changes', subscriber });
    },

    unsubscribe(subscriber: Ref<GraphChanged>): void {
      const r = router();
      if (r === undefined) parts.changes?.unsubscribe(subscriber);
      else r.tell({ type: 'unsubscribe-changes', subscriber });
    },
  };
}
