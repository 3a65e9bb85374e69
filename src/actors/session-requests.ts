// What a live session does with each payload a client sends, one handler per kind: subscriptions,
// graph mutations, node drags, settings, shortest paths, agent messages, tasks (session-tasks.ts).
// What comes back from the rest of the node: session-replies.ts.
// Replies carry the request's seq as their correlation id. Asks never block the session: their
// answers come back as messages. A graph change is answered by the graph itself, in commit order
// with the change stream (GraphApplied after the change's GraphChanged); the session matches the
// answer to the request by a tag of its own, and drops an answer that comes after it gave up.
import type { Permission } from '../auth/roles.ts';
import type { Connection } from '../gateway/connection.ts';
import type { Hlc } from '../crdt/hlc.ts';
import type { GraphMutation } from '../gateway/ports.ts';
import { stampOfEnvelope } from '../graph/from-protocol.ts';
import { dragFromWire } from '../gateway/drag-wire.ts';
import { filterFromWire } from '../gateway/filter.ts';
import { changeFromWire } from '../gateway/settings-wire.ts';
import type { Envelope } from '../protocol/index.ts';
import {
  ErrorCode,
  GraphBatch,
  GraphUpdate,
  NodeDrag,
  Payload,
  SettingsBatch,
  SettingsGet,
  SettingsSet,
  SsspRequest,
  Subscribe,
  TaskCancel,
  TaskSubmit,
  Topic,
  Unsubscribe,
} from '../protocol/index.ts';
import type { SettingChange, SetResult, SettingsMsg, SettingsSnapshot } from '../settings/protocol.ts';
import { handleReply, type SessionReply } from './session-replies.ts';
import { cancelTask, flushTasks, stopWatchingTasks, submitTask, watchTasks } from './session-tasks.ts';
import { newRequestState, sendError, unsupported, type RequestContext, type RequestState } from './session-request-state.ts';

export type { RequestContext, RequestReply } from './session-request-state.ts';

type Allowed = (permission: Permission, what: string, correlationId: number) => boolean;

/** The request side of a live session, as the session actor drives it. */
export interface SessionRequests {
  handle(env: Envelope, type: Payload, allowed: Allowed): void;
  event(msg: SessionReply): void;
  /** A new socket took over: the position stream restarts with its id table and a keyframe. */
  resumed(conn: Connection): void;
  /** The socket is gone: stop encoding for it; the other topics keep filling the replay ring. */
  detached(): void;
  stopped(): void;
}

const AGENT_PAYLOADS = new Set<Payload>([
  Payload.AgentRegister,
  Payload.AgentHeartbeat,
  Payload.TaskAssigned,
  Payload.TaskProgress,
  Payload.TaskCompleted,
  Payload.CollaborationRequest,
  Payload.KnowledgeShare,
  Payload.AgentError,
]);
const SERVER_ONLY = new Set<Payload>([
  Payload.HandshakeAccepted,
  Payload.ErrorReply,
  Payload.SettingsDelta,
  Payload.SsspResult,
  Payload.PositionIdTable,
  Payload.Ack,
  Payload.AgentRegistered,
  Payload.TaskStatus,
]);

const MAX_SSSP_IN_FLIGHT = 16;
/**
 * Graph changes of one session still waiting for their answer. The rate limit keeps a client far
 * below it (200 a second, each answered within the graph's 10 s); beyond it a change is refused.
 */
export const MAX_GRAPH_IN_FLIGHT = 4096;

export function sessionRequests(rc: RequestContext): SessionRequests {
  const s = newRequestState(rc);
  return {
    handle: (env, type, allowed) => handle(s, env, type, allowed),
    event: (msg) => handleReply(s, msg),
    resumed: (conn) => {
      joinPositions(s, conn);
      flushTasks(s);
    },
    detached: () => rc.deps.hub.leave(rc.sessionId()),
    stopped: () => unsubscribeAll(s),
  };
}

function handle(s: RequestState, env: Envelope, type: Payload, allowed: Allowed): void {
  const correlationId = Number(env.seq());
  switch (type) {
    case Payload.Subscribe: {
      const sub = env.payload(new Subscribe()) as Subscribe;
      if (allowed('read', 'subscribe', correlationId)) subscribe(s, sub.topic(), true, sub, correlationId);
      return;
    }
    case Payload.Unsubscribe:
      return subscribe(s, (env.payload(new Unsubscribe()) as Unsubscribe).topic(), false, undefined, correlationId);
    case Payload.KeyframeRequest:
      s.rc.deps.hub.resync(s.rc.sessionId());
      return;
    case Payload.GraphUpdate:
      if (!allowed('graph:write', 'change the graph', correlationId)) return;
      return applyGraph(
        s,
        { kind: 'update', update: (env.payload(new GraphUpdate()) as GraphUpdate).unpack() },
        correlationId,
        stampOfEnvelope(env),
      );
    case Payload.GraphBatch:
      if (!allowed('graph:write', 'change the graph', correlationId)) return;
      return applyGraph(
        s,
        { kind: 'batch', batch: (env.payload(new GraphBatch()) as GraphBatch).unpack() },
        correlationId,
        stampOfEnvelope(env),
      );
    case Payload.NodeDrag:
      // The same right as a graph change: moving a node is editing what everyone sees.
      if (allowed('graph:write', 'move a node', correlationId)) drag(s, env.payload(new NodeDrag()) as NodeDrag, correlationId);
      return;
    case Payload.SettingsGet:
      if (allowed('read', 'read settings', correlationId)) settingsGet(s, env.payload(new SettingsGet()) as SettingsGet, correlationId);
      return;
    case Payload.SettingsSet:
      if (allowed('settings:write', 'change settings', correlationId))
        settingsSet(s, [env.payload(new SettingsSet()) as SettingsSet], correlationId);
      return;
    case Payload.SettingsBatch:
      if (allowed('settings:write', 'change settings', correlationId))
        settingsBatch(s, env.payload(new SettingsBatch()) as SettingsBatch, correlationId);
      return;
    case Payload.SsspRequest:
      if (allowed('read', 'request shortest paths', correlationId))
        ssspRequest(s, env.payload(new SsspRequest()) as SsspRequest, correlationId);
      return;
    default:
      return otherPayload(s, env, type, allowed, correlationId);
  }
}

/** Task requests go to the queue, agent messages to the swarm; anything else a client may not send is refused, naming it. */
function otherPayload(s: RequestState, env: Envelope, type: Payload, allowed: Allowed, correlationId: number): void {
  if (type === Payload.TaskSubmit) {
    if (allowed('tasks:write', 'submit tasks', correlationId)) submitTask(s, env.payload(new TaskSubmit()) as TaskSubmit, correlationId);
    return;
  }
  if (type === Payload.TaskCancel) {
    if (allowed('tasks:write', 'cancel tasks', correlationId)) cancelTask(s, env.payload(new TaskCancel()) as TaskCancel, correlationId);
    return;
  }
  if (AGENT_PAYLOADS.has(type)) {
    if (!allowed('agent:act', `send ${Payload[type]}`, correlationId)) return;
    const agents = s.rc.deps.agents;
    if (agents === undefined) return unsupported(s, 'no agent swarm on this node', correlationId);
    const payload = env.unpack().payload;
    if (payload !== null) agents.deliver(payload, origin(s));
    return;
  }
  if (SERVER_ONLY.has(type)) return sendError(s, ErrorCode.BadMessage, `${Payload[type]} is sent by the server, not to it`, correlationId);
  return unsupported(s, `${Payload[type] ?? type} is not served by the gateway`, correlationId);
}

function origin(s: RequestState): { session: string; subject: string } {
  return { session: s.rc.sessionId(), subject: s.rc.claims().sub };
}

function joinPositions(s: RequestState, conn: Connection): void {
  const positions = s.positions;
  if (positions === undefined) return;
  s.rc.deps.hub.join({ session: s.rc.sessionId(), conn, filter: positions.filter, velocity: positions.velocity, rateHz: positions.rateHz });
}

function subscribe(s: RequestState, topic: Topic, on: boolean, sub: Subscribe | undefined, correlationId: number): void {
  const ok = topic === Topic.Positions ? subscribePositions(s, on, sub, correlationId) : subscribeTopic(s, topic, on, correlationId);
  if (!ok) return;
  if (on) s.topics.add(topic);
  else s.topics.delete(topic);
}

function subscribePositions(s: RequestState, on: boolean, sub: Subscribe | undefined, correlationId: number): boolean {
  if (!on) {
    s.positions = undefined;
    s.rc.deps.hub.leave(s.rc.sessionId());
    return true;
  }
  const filter = filterFromWire(sub?.filter()?.unpack() ?? null);
  if (!filter.ok) {
    sendError(s, ErrorCode.BadMessage, `Subscribe.filter: ${filter.error}`, correlationId);
    return false;
  }
  // A new Subscribe replaces the previous one (its filter too).
  s.positions = { velocity: sub?.withVelocity() ?? false, rateHz: sub?.maxRateHz() ?? 0, filter: filter.filter };
  const conn = s.rc.conn();
  if (conn !== undefined) joinPositions(s, conn);
  return true;
}

/** Topics served by another part of the node; false (and an error told) when this node has none. */
function subscribeTopic(s: RequestState, topic: Topic, on: boolean, correlationId: number): boolean {
  const { deps, ctx } = s.rc;
  const self = ctx.self;
  const port = topic === Topic.Graph ? deps.graph : topic === Topic.Sssp ? deps.sssp : topic === Topic.Agents ? deps.agents : undefined;
  switch (topic) {
    case Topic.Settings: {
      const settings = deps.settings();
      if (settings === undefined) return refuse(s, 'no settings actor on this node', correlationId);
      settings.tell(on ? { type: 'subscribe', subscriber: self, client: s.rc.sessionId() } : { type: 'unsubscribe', subscriber: self });
      return true;
    }
    case Topic.Tasks:
      return watchTasks(s, on, correlationId);
    case Topic.Graph:
    case Topic.Sssp:
    case Topic.Agents:
      if (port === undefined) return refuse(s, MISSING_SERVICE[topic], correlationId);
      if (on) port.subscribe(self);
      else port.unsubscribe(self);
      return true;
    default:
      return refuse(s, `topic ${Topic[topic] ?? topic} is not served by the gateway`, correlationId);
  }
}

const MISSING_SERVICE: Readonly<Record<Topic.Graph | Topic.Sssp | Topic.Agents, string>> = {
  [Topic.Graph]: 'no graph on this node',
  [Topic.Sssp]: 'no shortest-path service on this node',
  [Topic.Agents]: 'no agent swarm on this node',
};

function refuse(s: RequestState, message: string, correlationId: number): false {
  unsupported(s, message, correlationId);
  return false;
}

/** `stamp`: the envelope's HLC, the client's clock for this change (it decides conflicts). */
function applyGraph(s: RequestState, mutation: GraphMutation, correlationId: number, stamp: Hlc | undefined): void {
  const graph = s.rc.deps.graph;
  if (graph === undefined) return unsupported(s, 'no graph on this node', correlationId);
  if (s.graphInFlight.size >= MAX_GRAPH_IN_FLIGHT)
    return sendError(s, ErrorCode.Overloaded, 'too many graph changes in flight', correlationId);
  const tag = ++s.graphTag;
  s.graphInFlight.set(tag, correlationId);
  graph.apply({ mutation, origin: origin(s), ...(stamp === undefined ? {} : { stamp }), replyTo: s.rc.ctx.self, tag });
}

/** Drags are layout, not graph: no journal, no reply on success (they come a dozen a second). */
function drag(s: RequestState, wire: NodeDrag, correlationId: number): void {
  const layout = s.rc.deps.layout;
  if (layout === undefined) return unsupported(s, 'no layout on this node', correlationId);
  const parsed = dragFromWire(wire);
  if (!parsed.ok) return sendError(s, ErrorCode.BadMessage, parsed.error, correlationId);
  const c = parsed.command;
  if (c.kind === 'drag') layout.drag(c.id, c.position);
  else layout.release(c.id);
}

function settingsGet(s: RequestState, get: SettingsGet, correlationId: number): void {
  const { ctx, deps } = s.rc;
  const settings = deps.settings();
  if (settings === undefined) return unsupported(s, 'no settings actor on this node', correlationId);
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
}

function settingsBatch(s: RequestState, batch: SettingsBatch, correlationId: number): void {
  const sets: SettingsSet[] = [];
  for (let i = 0; i < batch.setsLength(); i++) sets.push(batch.sets(i)!);
  settingsSet(s, sets, correlationId);
}

function settingsSet(s: RequestState, sets: SettingsSet[], correlationId: number): void {
  const { ctx, deps } = s.rc;
  const settings = deps.settings();
  if (settings === undefined) return unsupported(s, 'no settings actor on this node', correlationId);
  const changes: SettingChange[] = [];
  for (const set of sets) {
    const change = changeFromWire(set);
    if (!change.ok) return sendError(s, ErrorCode.BadMessage, change.error, correlationId);
    changes.push(change.change);
  }
  ctx
    .ask<SettingsMsg, SetResult>(
      settings,
      (replyTo) => ({ type: 'set', client: s.rc.sessionId(), changes, replyTo }),
      deps.limits.askTimeoutMs,
    )
    .then(
      (result) => ctx.self.tell({ type: 'settings-result', correlationId, result }),
      (e: unknown) => ctx.self.tell({ type: 'request-failed', correlationId, what: 'settings set', error: String(e) }),
    );
}

function ssspRequest(s: RequestState, wire: SsspRequest, correlationId: number): void {
  const sssp = s.rc.deps.sssp;
  if (sssp === undefined) return unsupported(s, 'no shortest-path service on this node', correlationId);
  const request = wire.unpack();
  if (s.ssspInFlight >= MAX_SSSP_IN_FLIGHT)
    return sendError(s, ErrorCode.Overloaded, 'too many shortest-path requests in flight', correlationId);
  s.ssspInFlight++;
  sssp.request(request, s.rc.ctx.self, correlationId);
}

function unsubscribeAll(s: RequestState): void {
  const { ctx, deps } = s.rc;
  const self = ctx.self;
  deps.hub.leave(s.rc.sessionId());
  if (s.topics.has(Topic.Graph)) deps.graph?.unsubscribe(self);
  if (s.topics.has(Topic.Settings)) deps.settings()?.tell({ type: 'unsubscribe', subscriber: self });
  if (s.topics.has(Topic.Sssp)) deps.sssp?.unsubscribe(self);
  if (s.topics.has(Topic.Agents)) deps.agents?.unsubscribe(self);
  if (s.topics.has(Topic.Tasks)) stopWatchingTasks(s);
  s.topics.clear();
}
