// The gateway's GraphPort (src/gateway/ports.ts) on top of the graph subsystem: every call is a
// message to the router at parts.routerPath, with a bounded ask.
//
//   apply       the object-API mutation becomes a router command (one mapping with the envelope
//               path: from-protocol.ts), the router's GraphAck becomes a GraphApplyResult: ok with
//               the topology version it committed at, or 'invalid' | 'not-found' | 'conflict' (with
//               what stands, as NodeT / EdgeT) | 'unavailable' (storage, overload, restart, timeout).
//   node        get-node: a tombstone is no node; the one answer with the node's content.
//   neighbours  the router's neighbours query (in and out edges, across shards), at most 1000.
//   search      the router's title search (exact > prefix > substring, then shorter), at most 1000.
//   edgePage    a page of the router's edge directory (ids and endpoints, no weights).
//   subscribe   the router's change stream: GraphChanged per committed unit, in commit order, with
//               the session that asked for it; the router death-watches each subscriber.
//
// A query the graph cannot answer rejects with the runtime's AskTimeoutError or
// RecipientUnavailableError, which the HTTP API turns into 504 and 503.
import { AskTimeoutError, RecipientUnavailableError } from '../runtime/errors.ts';
import type { Ref } from '../runtime/ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { LwwRegister } from '../crdt/lww-register.ts';
import type { EdgePageReply, GraphAck, GraphErrorCode, GraphRouterMsg, NeighboursReply, SearchReply } from '../actors/graph-router.ts';
import type { GraphApplyResult, GraphChanged, GraphEdgePage, GraphMutation, GraphNodeView, GraphPort, MutationOrigin } from '../gateway/ports.ts';
import type { EdgeT } from '../protocol/generated/vf/edge.ts';
import type { NodeT } from '../protocol/generated/vf/node.ts';
import type { ChangeHub } from './change-hub.ts';
import { edgeT, nodeT } from './event-codec.ts';
import { commandFromMutation } from './from-protocol.ts';
import { MAX_NODE_ID, type EdgeValue, type NodeValue } from './model.ts';
import { MAX_QUERY_LENGTH, MAX_RESULTS } from './search.ts';
import type { GraphSubsystem } from './subsystem.ts';

export interface GraphPortOptions {
  /**
   * How long apply waits for the commit (default 10 s). Past it the answer is 'unavailable',
   * though the change may still commit (and then reaches the other sessions).
   */
  readonly applyTimeoutMs?: number;
  /** How long a read waits (default 10 s; the router gives the shards 5 s of it by default). */
  readonly queryTimeoutMs?: number;
}

type Failure = Extract<GraphApplyResult, { ok: false }>;

const CODES: Readonly<Record<GraphErrorCode, Failure['code']>> = {
  invalid: 'invalid',
  'clock-skew': 'invalid',
  'not-found': 'not-found',
  'endpoint-missing': 'not-found',
  'edge-id-conflict': 'conflict',
  overloaded: 'unavailable',
  'storage-failed': 'unavailable',
  reset: 'unavailable',
  'part-timeout': 'unavailable',
  closed: 'unavailable',
};

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

function isEdge(v: NodeValue | EdgeValue): v is EdgeValue {
  return typeof v.id === 'bigint';
}

const clampLimit = (limit: number): number => (Number.isFinite(limit) ? Math.min(MAX_RESULTS, Math.max(1, Math.floor(limit))) : MAX_RESULTS);

export function graphPort(
  system: Pick<ActorSystem, 'ask' | 'lookup'>,
  parts: Pick<GraphSubsystem, 'routerPath'> & { readonly changes?: ChangeHub },
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
  const unavailable = (message: string): Failure => ({ ok: false, code: 'unavailable', message });

  /** The edge that stands under `command`'s op `index`, for an edge-id conflict. */
  const standingEdge = async (command: unknown, index: number | undefined): Promise<EdgeT | undefined> => {
    const c = command as { op?: unknown; ops?: unknown[]; edge?: { id?: unknown } };
    const op = (c.op === 'batch' ? c.ops?.[index ?? -1] : c) as { edge?: { id?: unknown } } | undefined;
    const id = op?.edge?.id;
    if (typeof id !== 'bigint') return undefined;
    try {
      const reg = await query<LwwRegister<EdgeValue> | undefined>((replyTo) => ({ type: 'get-edge', id, replyTo }));
      return reg?.value === undefined ? undefined : edgeT(reg.value);
    } catch {
      return undefined;
    }
  };

  const resultOf = async (ack: GraphAck, command: unknown): Promise<GraphApplyResult> => {
    if (!ack.ok) {
      const code = CODES[ack.error.code] ?? 'unavailable';
      const failure: Failure = { ok: false, code, message: ack.error.message };
      if (ack.error.code !== 'edge-id-conflict') return failure;
      const edge = await standingEdge(command, ack.error.op);
      return edge === undefined ? failure : { ...failure, current: { edge } };
    }
    const lost: number[] = [];
    let node: NodeT | undefined;
    let edge: EdgeT | undefined;
    for (const [i, r] of ack.results.entries()) {
      if (r.status !== 'conflict') continue;
      lost.push(i);
      const v = r.winner.value;
      if (v === undefined) continue;
      if (isEdge(v)) edge ??= edgeT(v);
      else node ??= nodeT(v, r.winner.stamp);
    }
    if (lost.length === 0) return { ok: true, version: ack.version };
    const applied = ack.results.filter((r) => r.status === 'applied').length;
    const which = lost.length === 1 ? `op ${lost[0]}` : `ops ${lost.slice(0, 8).join(', ')}${lost.length > 8 ? ', ...' : ''}`;
    const message = `${which} lost to a newer write or a different existing value` + (applied > 0 ? `; ${applied} other op(s) applied at version ${ack.version}` : '');
    const current = node === undefined && edge === undefined ? undefined : { ...(node === undefined ? {} : { node }), ...(edge === undefined ? {} : { edge }) };
    return current === undefined ? { ok: false, code: 'conflict', message } : { ok: false, code: 'conflict', message, current };
  };

  return {
    async apply(mutation: GraphMutation, origin: MutationOrigin): Promise<GraphApplyResult> {
      let command: unknown;
      try {
        command = commandFromMutation(mutation);
      } catch (error) {
        return { ok: false, code: 'invalid', message: `unreadable graph change: ${String(error)}` };
      }
      const ref = router();
      if (ref === undefined) return unavailable('the graph is not running');
      let ack: GraphAck;
      try {
        ack = await system.ask<GraphRouterMsg, GraphAck>(ref, (replyTo) => ({ type: 'update', command, origin: origin.session, replyTo }), applyTimeoutMs);
      } catch (error) {
        if (error instanceof AskTimeoutError) return unavailable(`the graph did not answer within ${applyTimeoutMs} ms; the change may still be applied`);
        return unavailable(`the graph is not available: ${error instanceof Error ? error.message : String(error)}`);
      }
      return resultOf(ack, command);
    },

    async node(id: number): Promise<GraphNodeView | undefined> {
      if (!Number.isInteger(id) || id < 0 || id > MAX_NODE_ID) return undefined;
      const reg = await query<LwwRegister<NodeValue> | undefined>((replyTo) => ({ type: 'get-node', id, replyTo }));
      return reg?.value === undefined ? undefined : nodeDetail(reg.value);
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

    async edgePage(offset: number, limit: number): Promise<GraphEdgePage> {
      const from = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
      const reply = await query<EdgePageReply>((replyTo) => ({ type: 'edges', offset: from, limit: Math.max(0, Math.floor(limit)), replyTo }));
      const edges = reply.edges.map((e) => ({ id: e.id.toString(), source: e.source, target: e.target }));
      const end = from + edges.length;
      return end < reply.total && edges.length > 0 ? { total: reply.total, offset: from, edges, next: end } : { total: reply.total, offset: from, edges };
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
