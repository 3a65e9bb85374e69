// What an active session does with each payload a client sends, and with what comes back from the
// rest of the node: subscriptions, graph mutations, node drags, settings, shortest paths, agent
// messages.
// Replies carry the request's seq as their correlation id. Asks never block the session: their
// answers come back as messages. A graph change is answered by the graph itself, in commit order
// with the change stream (GraphApplied after the change's GraphChanged); the session matches the
// answer to the request by a tag of its own, and drops an answer that comes after it gave up.
import type { ActorContext } from '../runtime/actor.ts';
import type { Permission } from '../auth/roles.ts';
import type { TokenClaims } from '../auth/token.ts';
import type { Connection } from '../gateway/connection.ts';
import type { Outbox } from '../gateway/outbox.ts';
import { ZERO_HLC, type Hlc } from '../crdt/hlc.ts';
import type { AgentEvent, GraphApplied, GraphApplyResult, GraphChanged, GraphMutation, SsspRequestError, SsspResultMsg } from '../gateway/ports.ts';
import { stampOfEnvelope } from '../graph/from-protocol.ts';
import { dragFromWire } from '../gateway/drag-wire.ts';
import { filterChange, filterFromWire, isIdentity, type ClientFilter } from '../gateway/filter.ts';
import { changeFromWire, deltaPayload } from '../gateway/settings-wire.ts';
import type { SsspResultWire } from '../gateway/sssp-result-wire.ts';
import { resultInView } from '../gateway/sssp-view.ts';
import type { Envelope} from '../protocol/index.ts';
import {
  AckT, AddEdgeT, ErrorCode, ErrorReplyT, GraphBatch, GraphOp, GraphUpdate, GraphUpdateT, NodeDrag, Payload, SettingsBatch, SettingsGet, SettingsSet, SsspRequest, Subscribe, Topic, Unsubscribe, UpdateNodeT,
  type PayloadT,
} from '../protocol/index.ts';
import type { SettingChange, SettingError, SetResult, SettingsBroadcast, SettingsMsg, SettingsSnapshot } from '../settings/protocol.ts';
import type { SessionDeps, SessionMsg } from './session.ts';

export type RequestReply =
  | { readonly type: 'settings-snapshot'; readonly correlationId: number; readonly paths: readonly string[]; readonly snapshot: SettingsSnapshot }
  | { readonly type: 'settings-result'; readonly correlationId: number; readonly result: SetResult }
  | { readonly type: 'request-failed'; readonly correlationId: number; readonly what: string; readonly error: string };

export interface RequestContext {
  readonly ctx: ActorContext<SessionMsg>;
  readonly deps: SessionDeps;
  readonly outbox: Outbox;
  sessionId(): string;
  claims(): TokenClaims;
  conn(): Connection | undefined;
}

type Allowed = (permission: Permission, what: string, correlationId: number) => boolean;

const AGENT_PAYLOADS = new Set<Payload>([
  Payload.AgentRegister, Payload.AgentHeartbeat, Payload.TaskAssigned, Payload.TaskProgress, Payload.TaskCompleted,
  Payload.CollaborationRequest, Payload.KnowledgeShare, Payload.AgentError,
]);
const SERVER_ONLY = new Set<Payload>([
  Payload.HandshakeAccepted, Payload.ErrorReply, Payload.SettingsDelta, Payload.SsspResult, Payload.PositionIdTable, Payload.Ack,
]);

const SETTING_ERROR_CODES: Record<SettingError['code'], ErrorCode> = {
  conflict: ErrorCode.Conflict,
  'unknown-path': ErrorCode.NotFound,
  'invalid-value': ErrorCode.BadMessage,
  forbidden: ErrorCode.Unauthorized,
  unavailable: ErrorCode.Overloaded,
};

const GRAPH_ERROR_CODES: Record<Extract<GraphApplyResult, { ok: false }>['code'], ErrorCode> = {
  conflict: ErrorCode.Conflict,
  'not-found': ErrorCode.NotFound,
  invalid: ErrorCode.BadMessage,
  unavailable: ErrorCode.Overloaded,
};

const MAX_SSSP_IN_FLIGHT = 16;
/**
 * Graph changes of one session still waiting for their answer. The rate limit keeps a client far
 * below it (200 a second, each answered within the graph's 10 s); beyond it a change is refused.
 */
export const MAX_GRAPH_IN_FLIGHT = 4096;

/** How a failed shortest-path request is told to the client. */
const SSSP_ERROR_CODES: Readonly<Record<SsspRequestError['code'], ErrorCode>> = {
  'no-graph': ErrorCode.NotFound,
  'unknown-source': ErrorCode.NotFound,
  'unknown-target': ErrorCode.NotFound,
  'bad-query': ErrorCode.BadMessage,
  'negative-weight': ErrorCode.Conflict,
  'graph-changed': ErrorCode.Conflict,
  'engine-failed': ErrorCode.Internal,
  timeout: ErrorCode.Timeout,
};

export function sessionRequests(rc: RequestContext) {
  const { ctx, deps, outbox } = rc;
  const topics = new Set<Topic>();
  let positions: { velocity: boolean; rateHz: number; filter: ClientFilter } | undefined;
  /** This session's SSSP requests still waiting for their answer. */
  let ssspInFlight = 0;
  /** This session's graph changes waiting for their answer: the tag they were sent with, to their seq. */
  const graphInFlight = new Map<number, number>();
  let graphTag = 0;

  const error = (code: ErrorCode, message: string, correlationId: number): void => outbox.send(new ErrorReplyT(code, message), correlationId);
  const origin = () => ({ session: rc.sessionId(), subject: rc.claims().sub });

  const joinPositions = (conn: Connection): void => {
    if (positions === undefined) return;
    deps.hub.join({ session: rc.sessionId(), conn, filter: positions.filter, velocity: positions.velocity, rateHz: positions.rateHz });
  };

  const subscribe = (topic: Topic, on: boolean, sub: Subscribe | undefined, correlationId: number): void => {
    const self = ctx.self;
    switch (topic) {
      case Topic.Positions: {
        if (on) {
          const filter = filterFromWire(sub?.filter()?.unpack() ?? null);
          if (!filter.ok) return error(ErrorCode.BadMessage, `Subscribe.filter: ${filter.error}`, correlationId);
          // A new Subscribe replaces the previous one (its filter too).
          positions = { velocity: sub?.withVelocity() ?? false, rateHz: sub?.maxRateHz() ?? 0, filter: filter.filter };
          const conn = rc.conn();
          if (conn !== undefined) joinPositions(conn);
        } else {
          positions = undefined;
          deps.hub.leave(rc.sessionId());
        }
        break;
      }
      case Topic.Graph:
        if (deps.graph === undefined) return error(ErrorCode.Unsupported, 'no graph on this node', correlationId);
        if (on) deps.graph.subscribe(self);
        else deps.graph.unsubscribe(self);
        break;
      case Topic.Settings: {
        const settings = deps.settings();
        if (settings === undefined) return error(ErrorCode.Unsupported, 'no settings actor on this node', correlationId);
        settings.tell(on ? { type: 'subscribe', subscriber: self, client: rc.sessionId() } : { type: 'unsubscribe', subscriber: self });
        break;
      }
      case Topic.Sssp:
        if (deps.sssp === undefined) return error(ErrorCode.Unsupported, 'no shortest-path service on this node', correlationId);
        if (on) deps.sssp.subscribe(self);
        else deps.sssp.unsubscribe(self);
        break;
      case Topic.Agents:
        if (deps.agents === undefined) return error(ErrorCode.Unsupported, 'no agent swarm on this node', correlationId);
        if (on) deps.agents.subscribe(self);
        else deps.agents.unsubscribe(self);
        break;
      default:
        return error(ErrorCode.Unsupported, `topic ${Topic[topic] ?? topic} is not served by the gateway`, correlationId);
    }
    if (on) topics.add(topic);
    else topics.delete(topic);
  };

  /** `stamp`: the envelope's HLC, the client's clock for this change (it decides conflicts). */
  const applyGraph = (mutation: GraphMutation, correlationId: number, stamp: Hlc | undefined): void => {
    const graph = deps.graph;
    if (graph === undefined) return error(ErrorCode.Unsupported, 'no graph on this node', correlationId);
    if (graphInFlight.size >= MAX_GRAPH_IN_FLIGHT) return error(ErrorCode.Overloaded, 'too many graph changes in flight', correlationId);
    const tag = ++graphTag;
    graphInFlight.set(tag, correlationId);
    graph.apply({ mutation, origin: origin(), ...(stamp === undefined ? {} : { stamp }), replyTo: ctx.self, tag });
  };

  /** Drags are layout, not graph: no journal, no reply on success (they come a dozen a second). */
  const drag = (wire: NodeDrag, correlationId: number): void => {
    const layout = deps.layout;
    if (layout === undefined) return error(ErrorCode.Unsupported, 'no layout on this node', correlationId);
    const parsed = dragFromWire(wire);
    if (!parsed.ok) return error(ErrorCode.BadMessage, parsed.error, correlationId);
    const c = parsed.command;
    if (c.kind === 'drag') layout.drag(c.id, c.position);
    else layout.release(c.id);
  };

  const settingsGet = (get: SettingsGet, correlationId: number): void => {
    const settings = deps.settings();
    if (settings === undefined) return error(ErrorCode.Unsupported, 'no settings actor on this node', correlationId);
    const paths: string[] = [];
    for (let i = 0; i < get.pathsLength(); i++) paths.push(get.paths(i));
    ctx
      .ask<SettingsMsg, SettingsSnapshot>(
        settings,
        (replyTo) => (paths.length > 0 ? { type: 'get', paths, replyTo } : { type: 'get', replyTo }),
        deps.limits.askTimeoutMs,
      )
      .then(
        (snapshot) => ctx.self.tell({ type: 'settings-snapshot', correlationId, paths, snapshot }),
        (e: unknown) => ctx.self.tell({ type: 'request-failed', correlationId, what: 'settings get', error: String(e) }),
      );
  };

  const settingsSet = (sets: SettingsSet[], correlationId: number): void => {
    const settings = deps.settings();
    if (settings === undefined) return error(ErrorCode.Unsupported, 'no settings actor on this node', correlationId);
    const changes: SettingChange[] = [];
    for (const set of sets) {
      const change = changeFromWire(set);
      if (!change.ok) return error(ErrorCode.BadMessage, change.error, correlationId);
      changes.push(change.change);
    }
    ctx
      .ask<SettingsMsg, SetResult>(
        settings,
        (replyTo) => ({ type: 'set', client: rc.sessionId(), changes, replyTo }),
        deps.limits.askTimeoutMs,
      )
      .then(
        (result) => ctx.self.tell({ type: 'settings-result', correlationId, result }),
        (e: unknown) => ctx.self.tell({ type: 'request-failed', correlationId, what: 'settings set', error: String(e) }),
      );
  };

  const handle = (env: Envelope, type: Payload, allowed: Allowed): void => {
    const correlationId = Number(env.seq());
    switch (type) {
      case Payload.Subscribe: {
        const sub = env.payload(new Subscribe()) as Subscribe;
        if (allowed('read', 'subscribe', correlationId)) subscribe(sub.topic(), true, sub, correlationId);
        return;
      }
      case Payload.Unsubscribe:
        return subscribe((env.payload(new Unsubscribe()) as Unsubscribe).topic(), false, undefined, correlationId);
      case Payload.KeyframeRequest:
        deps.hub.resync(rc.sessionId());
        return;
      case Payload.GraphUpdate:
        if (!allowed('graph:write', 'change the graph', correlationId)) return;
        return applyGraph({ kind: 'update', update: (env.payload(new GraphUpdate()) as GraphUpdate).unpack() }, correlationId, stampOfEnvelope(env));
      case Payload.GraphBatch:
        if (!allowed('graph:write', 'change the graph', correlationId)) return;
        return applyGraph({ kind: 'batch', batch: (env.payload(new GraphBatch()) as GraphBatch).unpack() }, correlationId, stampOfEnvelope(env));
      case Payload.NodeDrag:
        // The same right as a graph change: moving a node is editing what everyone sees.
        if (allowed('graph:write', 'move a node', correlationId)) drag(env.payload(new NodeDrag()) as NodeDrag, correlationId);
        return;
      case Payload.SettingsGet:
        if (allowed('read', 'read settings', correlationId)) settingsGet(env.payload(new SettingsGet()) as SettingsGet, correlationId);
        return;
      case Payload.SettingsSet:
        if (allowed('settings:write', 'change settings', correlationId)) settingsSet([env.payload(new SettingsSet()) as SettingsSet], correlationId);
        return;
      case Payload.SettingsBatch: {
        if (!allowed('settings:write', 'change settings', correlationId)) return;
        const batch = env.payload(new SettingsBatch()) as SettingsBatch;
        const sets: SettingsSet[] = [];
        for (let i = 0; i < batch.setsLength(); i++) sets.push(batch.sets(i)!);
        return settingsSet(sets, correlationId);
      }
      case Payload.SsspRequest: {
        if (!allowed('read', 'request shortest paths', correlationId)) return;
        if (deps.sssp === undefined) return error(ErrorCode.Unsupported, 'no shortest-path service on this node', correlationId);
        const request = (env.payload(new SsspRequest()) as SsspRequest).unpack();
        if (ssspInFlight >= MAX_SSSP_IN_FLIGHT) return error(ErrorCode.Overloaded, 'too many shortest-path requests in flight', correlationId);
        ssspInFlight++;
        deps.sssp.request(request, ctx.self, correlationId);
        return;
      }
      default:
        break;
    }
    if (AGENT_PAYLOADS.has(type)) {
      if (!allowed('agent:act', `send ${Payload[type]}`, correlationId)) return;
      if (deps.agents === undefined) return error(ErrorCode.Unsupported, 'no agent swarm on this node', correlationId);
      const payload = env.unpack().payload;
      if (payload !== null) deps.agents.deliver(payload, origin());
      return;
    }
    if (SERVER_ONLY.has(type)) return error(ErrorCode.BadMessage, `${Payload[type]} is sent by the server, not to it`, correlationId);
    return error(ErrorCode.Unsupported, `${Payload[type] ?? type} is not served by the gateway`, correlationId);
  };

  const settingError = (e: SettingError, correlationId: number): void => {
    error(SETTING_ERROR_CODES[e.code], `${e.path}: ${e.message}`, correlationId);
    if (e.current !== undefined) {
      // What stands, for the client to reconcile its optimistic copy with.
      outbox.send(
        deltaPayload({ path: e.path, old: null, new: e.current.value, timestamp: ZERO_HLC, client: 'server', version: e.current.version }),
        correlationId,
      );
    }
  };

  const graphResult = (msg: GraphApplied): void => {
    const correlationId = graphInFlight.get(msg.answerTo);
    if (correlationId === undefined) return; // answered already: it was given up on as unavailable
    graphInFlight.delete(msg.answerTo);
    const result: GraphApplyResult = msg.result;
    if (result.ok) {
      // The change itself reached the stream just before (when this session subscribes to it).
      outbox.send(new AckT(BigInt(result.version)), correlationId, result.stamp);
      return;
    }
    error(GRAPH_ERROR_CODES[result.code], result.message, correlationId);
    const current = result.current;
    if (current === undefined) return;
    const version = BigInt(result.version ?? 0);
    if (current.node !== undefined) outbox.send(new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(current.node), version), correlationId, current.nodeStamp);
    if (current.edge !== undefined) outbox.send(new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(current.edge), version), correlationId, current.edgeStamp);
  };

  // A filtered client's view is the id table of its position stream; before it has one, or with no
  // filter, it gets everything. Its own answers are not restricted: it asked for exactly those.
  const ssspInView = (result: SsspResultWire): SsspResultWire => {
    const filter = positions?.filter;
    if (filter === undefined || isIdentity(filter)) return result;
    const view = deps.hub.selection(rc.sessionId());
    return view === undefined ? result : resultInView(result, view);
  };

  const event = (msg: RequestReply | SettingsBroadcast | GraphChanged | GraphApplied | SsspResultMsg | AgentEvent): void => {
    switch (msg.type) {
      case 'settings-snapshot': {
        const snapshot = msg.snapshot;
        for (const [path, v] of Object.entries(snapshot.values)) {
          outbox.send(deltaPayload({ path, old: null, new: v.value, timestamp: ZERO_HLC, client: 'server', version: v.version }), msg.correlationId);
        }
        // Every request gets an answer: paths the tree does not have are named in one error, after
        // the values of the ones it has (a get of unknown paths only would otherwise hear nothing).
        const known = Object.keys(snapshot.values);
        const unknown = msg.paths.filter((path) => (path.endsWith('.') ? !known.some((k) => k.startsWith(path)) : !(path in snapshot.values)));
        if (unknown.length > 0) error(ErrorCode.NotFound, `unknown setting path${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 16).join(', ')}${unknown.length > 16 ? ` and ${unknown.length - 16} more` : ''}`, msg.correlationId);
        return;
      }
      case 'settings-result':
        if (msg.result.ok) for (const d of msg.result.deltas) outbox.send(deltaPayload(d), msg.correlationId);
        else for (const e of msg.result.errors) settingError(e, msg.correlationId);
        return;
      case 'graph-applied':
        return graphResult(msg);
      case 'request-failed':
        return error(ErrorCode.Timeout, `${msg.what} failed: ${msg.error}`, msg.correlationId);
      case 'settings-deltas':
        for (const d of msg.deltas) outbox.send(deltaPayload(d));
        return;
      case 'graph-changed': {
        // Its own changes too: the stream alone rebuilds the graph, and the answer follows.
        if (!topics.has(Topic.Graph)) return;
        // The position filter is the client's view: graph changes outside it are not its business.
        const filter = positions?.filter;
        const session = rc.sessionId();
        const change = filter === undefined ? msg.change : filterChange(msg.change, msg.scopes, filter, (id) => deps.hub.inView(session, id));
        if (change !== null) outbox.send(mutationPayload(change), 0, msg.stamp);
        return;
      }
      case 'sssp-result': {
        if (msg.answerTo === undefined) {
          // Another client's result: only for subscribers, and only the nodes of their view.
          if (topics.has(Topic.Sssp)) outbox.sendTemplate(ssspInView(msg.result).template());
          return;
        }
        ssspInFlight = Math.max(0, ssspInFlight - 1);
        if (msg.error !== undefined) return error(SSSP_ERROR_CODES[msg.error.code], msg.error.message, msg.answerTo);
        outbox.sendTemplate(msg.result.template(), msg.answerTo);
        return;
      }
      case 'agent-event':
        if (topics.has(Topic.Agents)) outbox.send(msg.payload);
        return;
    }
  };

  const unsubscribeAll = (): void => {
    const self = ctx.self;
    deps.hub.leave(rc.sessionId());
    if (topics.has(Topic.Graph)) deps.graph?.unsubscribe(self);
    if (topics.has(Topic.Settings)) deps.settings()?.tell({ type: 'unsubscribe', subscriber: self });
    if (topics.has(Topic.Sssp)) deps.sssp?.unsubscribe(self);
    if (topics.has(Topic.Agents)) deps.agents?.unsubscribe(self);
    topics.clear();
  };

  return {
    handle,
    event,
    /** A new socket took over: the position stream restarts with its id table and a keyframe. */
    resumed(conn: Connection): void {
      joinPositions(conn);
    },
    /** The socket is gone: stop encoding for it; the other topics keep filling the replay ring. */
    detached(): void {
      deps.hub.leave(rc.sessionId());
    },
    stopped: unsubscribeAll,
  };
}

function mutationPayload(mutation: GraphMutation): PayloadT {
  return mutation.kind === 'update' ? mutation.update : mutation.batch;
}
