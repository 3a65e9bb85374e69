// What the gateway needs from the rest of the node, as narrow interfaces: the physics engine's
// position snapshots, the layout (drags), the graph (mutations, queries, change stream), shortest
// paths, agents and the agents' task queue.
// The settings actor is reached through its own protocol (src/settings/protocol.ts). Each port is
// implemented by whoever owns that subsystem; the tests implement them with small fakes.
import type { GraphApplyRequest, GraphChanged, MutationOrigin } from '../graph/changes.ts';
import type { Role } from '../auth/roles.ts';
import type { Recipient } from '../shared/recipient.ts';
import type { NewTask, TaskRecord, TaskState } from '../tasks/task.ts';
import type { SsspErrorCode } from '../sssp/engine.ts';
import type { PayloadT, SsspRequestT } from '../protocol/index.ts';
import type { NodeFacets } from './node-facets.ts';
import type { SsspResultWire } from './sssp-result-wire.ts';

// ---- positions ------------------------------------------------------------------------------------

/**
 * One tick of the layout. Arrays are indexed alike: entry i is node ids[i] of kind kinds[i] (the
 * wire NodeKind) at positions[3i..3i+2]. A snapshot is immutable once published: the producer
 * hands out fresh arrays (or a pool deep enough that no subscriber still holds one it reuses), so
 * the gateway keeps the latest by reference and never copies it.
 */
export interface PositionSnapshot {
  /** Changes whenever ids (the node set or its order) change. */
  readonly epoch: number;
  readonly ids: Uint32Array;
  readonly kinds: Uint8Array;
  readonly positions: Float32Array;
  readonly velocities?: Float32Array;
  /** [min x, y, z, max x, y, z] holding every position, when the producer knows it. */
  readonly bounds?: ArrayLike<number>;
  /** When the producer made it (its clock, ms): lets instrumentation measure frame lag. */
  readonly time?: number;
  /** Types, degrees and folds for the per-client filters, when the producer follows the topology. */
  readonly facets?: NodeFacets;
}

export interface PositionTick {
  readonly type: 'positions';
  readonly snapshot: PositionSnapshot;
}

export interface FrameSource {
  /**
   * Deliver snapshots to `subscriber` at most `maxRateHz` times a second (latest wins). A new
   * subscriber gets the latest snapshot at once, so that clients see the layout even while the
   * physics is idle.
   */
  subscribe(subscriber: Recipient<PositionTick>, maxRateHz: number): void;
  unsubscribe(subscriber: Recipient<PositionTick>): void;
}

// ---- layout ---------------------------------------------------------------------------------------

/**
 * Clients moving nodes in the layout (not in the graph: nothing is journaled). Fire and forget: a
 * drag of a node the layout does not hold changes nothing, and the position stream shows the rest.
 */
export interface LayoutPort {
  /** Holds the node at `position` until pinTimeoutMs after the last drag. */
  drag(id: number, position: { readonly x: number; readonly y: number; readonly z: number }): void;
  /** Lets the node go now. */
  release(id: number): void;
}

// ---- graph ----------------------------------------------------------------------------------------

export type {
  GraphMutation,
  MutationOrigin,
  GraphApplyResult,
  GraphApplyRequest,
  GraphApplied,
  ChangeScope,
  GraphChanged,
} from '../graph/changes.ts';

/** A node as the HTTP API shows it. */
export interface GraphNodeView {
  readonly id: number;
  readonly kind: string;
  readonly type?: string;
  readonly title?: string;
  /**
   * The node's text: only in a single-node answer (GraphPort.node), never in lists, and cut by the
   * HTTP API to its limit (then `contentLength` gives the whole length in UTF-16 code units).
   */
  readonly content?: string;
  readonly contentLength?: number;
  readonly position?: { readonly x: number; readonly y: number; readonly z: number };
  readonly metadata?: Readonly<Record<string, string>>;
}

/** An edge as the HTTP API lists it (ids are 64-bit: a decimal string in JSON). */
export interface GraphEdgeView {
  readonly id: string;
  readonly source: number;
  readonly target: number;
  /** True: from source to target only; false: either way. */
  readonly directed: boolean;
}

/** One page of the edge list; `next` is the offset of the following page, absent on the last. */
export interface GraphEdgePage {
  readonly total: number;
  readonly offset: number;
  readonly edges: readonly GraphEdgeView[];
  readonly next?: number;
}

/**
 * One page of the node list (`total` counts every live node, whatever the type asked); `next` is
 * the offset of the following page, absent on the last.
 */
export interface GraphNodePage {
  readonly total: number;
  readonly offset: number;
  readonly nodes: readonly GraphNodeView[];
  readonly next?: number;
}

export interface GraphPort {
  /** Answered by one GraphApplied to `request.replyTo`, never by a promise: see GraphApplyRequest. */
  apply(request: GraphApplyRequest): void;
  /**
   * The version of the last committed change. A read made after this resolves reflects at least
   * that version (it may already include later commits, which the change stream also delivers).
   */
  version(): Promise<number>;
  node(id: number): Promise<GraphNodeView | undefined>;
  /** Undefined when the node does not exist. */
  neighbours(id: number, limit: number): Promise<readonly GraphNodeView[] | undefined>;
  /**
   * The live nodes among `ids` (at most 1000; a RangeError beyond), in the order asked; with their
   * content when `withContent` (the HTTP API cuts it), else without.
   */
  nodesById(ids: readonly number[], withContent?: boolean): Promise<readonly GraphNodeView[]>;
  /** Nodes whose title contains `query` (case-insensitive), best first. */
  search(query: string, limit: number): Promise<readonly GraphNodeView[]>;
  /** Up to `limit` edges from position `offset` of the edge list (the viewer's initial load). */
  edgePage(offset: number, limit: number): Promise<GraphEdgePage>;
  /** Up to `limit` (at most 1000) nodes from position `offset` of the node list, of `type` only when given. */
  nodePage(offset: number, limit: number, type?: string): Promise<GraphNodePage>;
  subscribe(subscriber: Recipient<GraphChanged>): void;
  unsubscribe(subscriber: Recipient<GraphChanged>): void;
}

// ---- shortest paths -------------------------------------------------------------------------------

export interface SsspResultMsg {
  readonly type: 'sssp-result';
  readonly result: SsspResultWire;
  /** On the asker's answer: the tag it asked with. Absent on the copies subscribers get. */
  readonly answerTo?: number;
  /** Why there is no result (the asker's answer only; `result` is then empty). */
  readonly error?: SsspRequestError;
}

export interface SsspRequestError {
  readonly code: SsspErrorCode | 'timeout';
  readonly message: string;
}

export interface SsspPort {
  /**
   * Computes from `request.source` (up to its targets and distance bound); the answer, tagged
   * `answerTo: tag`, goes to `replyTo`, and a successful result to every subscriber too.
   */
  request(request: SsspRequestT, replyTo: Recipient<SsspResultMsg>, tag: number): void;
  subscribe(subscriber: Recipient<SsspResultMsg>): void;
  unsubscribe(subscriber: Recipient<SsspResultMsg>): void;
}

// ---- agents ---------------------------------------------------------------------------------------

/** An agent-swarm message for or from clients, in object-API form. */
export interface AgentEvent {
  readonly type: 'agent-event';
  readonly payload: PayloadT;
}

export interface AgentPort {
  /** An agent message a client sent (AgentRegister, AgentHeartbeat, Task*, ...). */
  deliver(payload: PayloadT, origin: MutationOrigin): void;
  subscribe(subscriber: Recipient<AgentEvent>): void;
  unsubscribe(subscriber: Recipient<AgentEvent>): void;
}

// ---- tasks ----------------------------------------------------------------------------------------

/** Who asks, as the gateway's token check established it (the queue decides ownership from it). */
export interface TaskRequester {
  readonly subject: string;
  readonly role: Role;
}

/**
 * Why the queue (or the way to it) refused: the queue's own refusals, and 'unavailable' when no
 * queue runs or it did not answer in time.
 */
export type TaskRefusalCode = 'bad-request' | 'not-found' | 'forbidden' | 'conflict' | 'overloaded' | 'unavailable';

export interface TaskRefusal {
  readonly ok: false;
  readonly code: TaskRefusalCode;
  readonly message: string;
}

export type TaskOutcome = { readonly ok: true; readonly task: TaskRecord } | TaskRefusal;

export type TaskListOutcome = { readonly ok: true; readonly tasks: readonly TaskRecord[] } | TaskRefusal;

/** Which tasks a list answers with, newest first; at most MAX_TASK_LIST of them. */
export interface TaskFilter {
  /** Absent or empty: every state. */
  readonly states?: readonly TaskState[];
  readonly parentId?: string;
  readonly limit: number;
}

export const MAX_TASK_LIST = 1000;

/**
 * A task changed (any field, any state). The queue tells its watchers exactly this shape (its
 * TaskEvent), so a session is handed to the queue as the watcher itself, with nothing between.
 */
export interface TaskStatusMsg {
  readonly type: 'task-event';
  readonly task: TaskRecord;
}

/**
 * The agents' durable task queue. The promises never reject: a refusal, a queue that is not
 * running and one that does not answer in time are all a TaskRefusal.
 */
export interface TaskPort {
  /** Answered with the task as queued (its id, state 'queued'). */
  submit(task: NewTask, by: TaskRequester): Promise<TaskOutcome>;
  /** Cancels the task and its subtasks; answered with the task as cancelled. */
  cancel(id: string, by: TaskRequester, reason: string): Promise<TaskOutcome>;
  get(id: string): Promise<TaskOutcome>;
  list(filter: TaskFilter): Promise<TaskListOutcome>;
  /** Every change of every task goes to `subscriber` from now on; false when no queue runs now. */
  watch(subscriber: Recipient<TaskStatusMsg>): boolean;
  unwatch(subscriber: Recipient<TaskStatusMsg>): void;
}
