// What comes back to a live session from the rest of the node, one handler per kind: answers to
// its client's requests (settings, graph changes, shortest paths, tasks), and the broadcasts of the
// topics it subscribed to (settings deltas, graph changes, other clients' shortest paths, agent
// events, task changes).
import { ZERO_HLC } from '../crdt/hlc.ts';
import { filterChange, isIdentity } from '../gateway/filter.ts';
import type {
  AgentEvent,
  GraphApplied,
  GraphApplyResult,
  GraphChanged,
  GraphMutation,
  SsspRequestError,
  SsspResultMsg,
} from '../gateway/ports.ts';
import { deltaPayload } from '../gateway/settings-wire.ts';
import type { SsspResultWire } from '../gateway/sssp-result-wire.ts';
import { resultInView } from '../gateway/sssp-view.ts';
import { AckT, AddEdgeT, ErrorCode, GraphOp, GraphUpdateT, Topic, UpdateNodeT, type PayloadT } from '../protocol/index.ts';
import type { SettingError, SettingsBroadcast } from '../settings/protocol.ts';
import { sendError, type RequestReply, type RequestState } from './session-request-state.ts';
import { handleTaskMsg, type TaskSessionMsg } from './session-tasks.ts';

export type SessionReply = RequestReply | SettingsBroadcast | GraphChanged | GraphApplied | SsspResultMsg | AgentEvent | TaskSessionMsg;

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

export function handleReply(s: RequestState, msg: SessionReply): void {
  switch (msg.type) {
    case 'settings-snapshot':
      return settingsSnapshot(s, msg);
    case 'settings-result':
      return settingsResult(s, msg);
    case 'graph-applied':
      return graphResult(s, msg);
    case 'request-failed':
      return sendError(s, ErrorCode.Timeout, `${msg.what} failed: ${msg.error}`, msg.correlationId);
    case 'settings-deltas':
      for (const d of msg.deltas) s.rc.outbox.send(deltaPayload(d));
      return;
    case 'graph-changed':
      return graphChanged(s, msg);
    case 'sssp-result':
      return ssspResult(s, msg);
    case 'agent-event':
      if (s.topics.has(Topic.Agents)) s.rc.outbox.send(msg.payload);
      return;
    case 'task-event':
    case 'task-answer':
    case 'task-flush':
      return handleTaskMsg(s, msg, s.topics.has(Topic.Tasks));
    default:
      return unreachable(msg);
  }
}

function settingsSnapshot(s: RequestState, msg: Extract<RequestReply, { type: 'settings-snapshot' }>): void {
  const snapshot = msg.snapshot;
  for (const [path, v] of Object.entries(snapshot.values)) {
    s.rc.outbox.send(
      deltaPayload({ path, old: null, new: v.value, timestamp: ZERO_HLC, client: 'server', version: v.version }),
      msg.correlationId,
    );
  }
  // Every request gets an answer: paths the tree does not have are named in one error, after
  // the values of the ones it has (a get of unknown paths only would otherwise hear nothing).
  const known = Object.keys(snapshot.values);
  const unknown = msg.paths.filter((path) => (path.endsWith('.') ? !known.some((k) => k.startsWith(path)) : !(path in snapshot.values)));
  if (unknown.length > 0)
    sendError(
      s,
      ErrorCode.NotFound,
      `unknown setting path${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 16).join(', ')}${unknown.length > 16 ? ` and ${unknown.length - 16} more` : ''}`,
      msg.correlationId,
    );
}

function settingsResult(s: RequestState, msg: Extract<RequestReply, { type: 'settings-result' }>): void {
  if (msg.result.ok) for (const d of msg.result.deltas) s.rc.outbox.send(deltaPayload(d), msg.correlationId);
  else for (const e of msg.result.errors) settingError(s, e, msg.correlationId);
}

function settingError(s: RequestState, e: SettingError, correlationId: number): void {
  sendError(s, SETTING_ERROR_CODES[e.code], `${e.path}: ${e.message}`, correlationId);
  if (e.current !== undefined) {
    // What stands, for the client to reconcile its optimistic copy with.
    s.rc.outbox.send(
      deltaPayload({ path: e.path, old: null, new: e.current.value, timestamp: ZERO_HLC, client: 'server', version: e.current.version }),
      correlationId,
    );
  }
}

function graphResult(s: RequestState, msg: GraphApplied): void {
  const correlationId = s.graphInFlight.get(msg.answerTo);
  if (correlationId === undefined) return; // answered already: it was given up on as unavailable
  s.graphInFlight.delete(msg.answerTo);
  const result: GraphApplyResult = msg.result;
  const outbox = s.rc.outbox;
  if (result.ok) {
    // The change itself reached the stream just before (when this session subscribes to it).
    outbox.send(new AckT(BigInt(result.version)), correlationId, result.stamp);
    return;
  }
  sendError(s, GRAPH_ERROR_CODES[result.code], result.message, correlationId);
  const current = result.current;
  if (current === undefined) return;
  const version = BigInt(result.version ?? 0);
  if (current.node !== undefined)
    outbox.send(new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(current.node), version), correlationId, current.nodeStamp);
  if (current.edge !== undefined)
    outbox.send(new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(current.edge), version), correlationId, current.edgeStamp);
}

function graphChanged(s: RequestState, msg: GraphChanged): void {
  // Its own changes too: the stream alone rebuilds the graph, and the answer follows.
  if (!s.topics.has(Topic.Graph)) return;
  // The position filter is the client's view: graph changes outside it are not its business.
  const filter = s.positions?.filter;
  const session = s.rc.sessionId();
  const hub = s.rc.deps.hub;
  const change = filter === undefined ? msg.change : filterChange(msg.change, msg.scopes, filter, (id) => hub.inView(session, id));
  if (change !== null) s.rc.outbox.send(mutationPayload(change), 0, msg.stamp);
}

function ssspResult(s: RequestState, msg: SsspResultMsg): void {
  const outbox = s.rc.outbox;
  if (msg.answerTo === undefined) {
    // Another client's result: only for subscribers, and only the nodes of their view.
    if (s.topics.has(Topic.Sssp)) outbox.sendTemplate(ssspInView(s, msg.result).template());
    return;
  }
  s.ssspInFlight = Math.max(0, s.ssspInFlight - 1);
  if (msg.error !== undefined) return sendError(s, SSSP_ERROR_CODES[msg.error.code], msg.error.message, msg.answerTo);
  outbox.sendTemplate(msg.result.template(), msg.answerTo);
}

// A filtered client's view is the id table of its position stream; before it has one, or with no
// filter, it gets everything. Its own answers are not restricted: it asked for exactly those.
function ssspInView(s: RequestState, result: SsspResultWire): SsspResultWire {
  const filter = s.positions?.filter;
  if (filter === undefined || isIdentity(filter)) return result;
  const view = s.rc.deps.hub.selection(s.rc.sessionId());
  return view === undefined ? result : resultInView(result, view);
}

function mutationPayload(mutation: GraphMutation): PayloadT {
  return mutation.kind === 'update' ? mutation.update : mutation.batch;
}

function unreachable(value: never): never {
  throw new Error(`session: unhandled reply ${String((value as { type?: unknown }).type)}`);
}
