// A swarm as the graph shows it: each agent a node of kind Agent (its status, task and progress in
// its metadata, which the viewer reads), each running task a node of kind Task linked to its agent,
// removed when the task ends. Writes go through the normal graph pipeline (GraphPort.apply:
// validated, journaled, broadcast) in one batch per flush, so a busy swarm costs the graph a few
// commits a second: changes to one node between two flushes coalesce into one write, and a task
// that starts and ends between two flushes is never written at all.
//
// A batch is one unit: when it fails (most often an agent node left by an earlier run of the node,
// which an add of a different value conflicts with), its updates are sent again one by one, and an
// agent's add that meets that agent's own node becomes an update of it.
import { edgeIdOf, fnv1a32 } from '../import/ids.ts';
import {
  AddEdgeT,
  AddNodeT,
  EdgeT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  KeyValueT,
  NodeKind,
  NodeT,
  RemoveNodeT,
  UpdateNodeT,
} from '../protocol/index.ts';
import type { GraphApplyResult, GraphMutation } from '../graph/changes.ts';

export interface AgentView {
  readonly nodeId: number;
  readonly agentId: string;
  readonly name: string;
  readonly agentType: string;
  readonly swarm: string;
  readonly status: string;
  readonly task: string;
  readonly progress: number;
}

export interface TaskView {
  readonly nodeId: number;
  /** The agent working on it. */
  readonly agentId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly description: string;
  readonly agentNodeId: number;
  readonly progress: number;
}

type Pending =
  | { readonly op: 'agent'; readonly view: AgentView }
  | { readonly op: 'task'; readonly view: TaskView }
  | { readonly op: 'remove'; readonly nodeId: number };

/** One write in flight: what it carried, to resend it one by one when the batch fails. */
export interface GraphWrite {
  readonly tag: number;
  readonly mutation: GraphMutation;
  readonly entries: readonly Pending[];
}

/** The agents whose nodes a write touches (a removal names none), for the write's origin. */
export function writers(write: GraphWrite): string[] {
  return [...new Set(write.entries.flatMap((e) => (e.op === 'remove' ? [] : [e.view.agentId])))];
}

export const agentNodeId = (agentId: string): number => fnv1a32(`vf-agent\u0000${agentId}`);
export const taskNodeId = (taskId: string, attempt: number): number => fnv1a32(`vf-task\u0000${taskId}\u0000${attempt}`);
const taskEdgeId = (taskNode: number): bigint => edgeIdOf('vf-task-of', taskNode);

/** Longest text put in a node's title or metadata (a description may be 64 kB). */
const MAX_TEXT = 1_024;
const clip = (text: string): string => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);

export class SwarmGraph {
  /** Node id -> what to write at the next flush. */
  private readonly pending = new Map<number, Pending>();
  /** Nodes this swarm has written and not removed: an agent's next write is an update. */
  private readonly written = new Set<number>();
  private readonly inFlight = new Map<number, GraphWrite>();
  private tags = 0;

  constructor(
    /** Most writes in flight at once; a flush past it waits for the next. */
    private readonly maxInFlight = 8,
    /** Most updates in one batch; the rest wait for the next flush. */
    private readonly maxBatch = 512,
  ) {}

  agent(view: AgentView): void {
    this.pending.set(view.nodeId, { op: 'agent', view });
  }

  taskStarted(view: TaskView): void {
    this.pending.set(view.nodeId, { op: 'task', view });
  }

  taskProgress(view: TaskView): void {
    if (this.written.has(view.nodeId) || this.pending.get(view.nodeId)?.op === 'task') this.pending.set(view.nodeId, { op: 'task', view });
  }

  /** A node of this swarm's goes: a task that ended, never written: nothing to do. */
  remove(nodeId: number): void {
    if (this.written.has(nodeId) || this.isInFlight(nodeId)) this.pending.set(nodeId, { op: 'remove', nodeId });
    else this.pending.delete(nodeId);
  }

  /** Whether this swarm has written the node, or has a write of it waiting or in flight. */
  touched(nodeId: number): boolean {
    return this.written.has(nodeId) || this.pending.has(nodeId) || this.isInFlight(nodeId);
  }

  /** A node an earlier run wrote: the next write of it is an update. */
  existing(nodeId: number): void {
    this.written.add(nodeId);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The next batch to apply, or undefined when there is nothing to write or too much in flight. */
  flush(): GraphWrite | undefined {
    if (this.pending.size === 0 || this.inFlight.size >= this.maxInFlight) return undefined;
    const entries: Pending[] = [];
    for (const [id, entry] of this.pending) {
      if (entries.length >= this.maxBatch) break;
      entries.push(entry);
      this.pending.delete(id);
    }
    return this.track(entries);
  }

  /** A write's answer. Returns the writes to send again one by one (a failed batch), if any. */
  applied(tag: number, result: GraphApplyResult): GraphWrite[] {
    const write = this.inFlight.get(tag);
    if (write === undefined) return [];
    this.inFlight.delete(tag);
    if (result.ok) {
      for (const e of write.entries) {
        if (e.op === 'remove') this.written.delete(e.nodeId);
        else this.written.add(e.view.nodeId);
      }
      return [];
    }
    if (write.entries.length > 1) return write.entries.map((e) => this.track([e]));
    const only = write.entries[0];
    // An agent's own node, left by an earlier run: from now on it is updated.
    if (
      result.code === 'conflict' &&
      only?.op === 'agent' &&
      !this.written.has(only.view.nodeId) &&
      isAgentNode(result, only.view.agentId)
    ) {
      this.written.add(only.view.nodeId);
      return [this.track([only])];
    }
    return [];
  }

  private isInFlight(nodeId: number): boolean {
    for (const w of this.inFlight.values())
      if (w.entries.some((e) => (e.op === 'remove' ? e.nodeId : e.view.nodeId) === nodeId)) return true;
    return false;
  }

  private track(entries: readonly Pending[]): GraphWrite {
    const tag = ++this.tags;
    const nodes: GraphUpdateT[] = [];
    const edges: GraphUpdateT[] = [];
    const removals: GraphUpdateT[] = [];
    for (const e of entries) {
      if (e.op === 'remove') removals.push(new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(e.nodeId)));
      else if (e.op === 'agent') nodes.push(this.nodeUpdate(e.view.nodeId, agentNode(e.view)));
      else {
        const fresh = !this.written.has(e.view.nodeId);
        nodes.push(this.nodeUpdate(e.view.nodeId, taskNode(e.view)));
        if (fresh) edges.push(new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(taskEdge(e.view))));
      }
    }
    const updates = [...nodes, ...edges, ...removals];
    const mutation: GraphMutation =
      updates.length === 1 ? { kind: 'update', update: updates[0]! } : { kind: 'batch', batch: new GraphBatchT(updates) };
    const write = { tag, mutation, entries };
    this.inFlight.set(tag, write);
    return write;
  }

  private nodeUpdate(id: number, node: NodeT): GraphUpdateT {
    return this.written.has(id)
      ? new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(node))
      : new GraphUpdateT(GraphOp.AddNode, new AddNodeT(node));
  }
}

function metadata(entries: Readonly<Record<string, string>>): KeyValueT[] {
  return Object.entries(entries).map(([k, v]) => new KeyValueT(k, clip(v)));
}

function agentNode(v: AgentView): NodeT {
  return new NodeT(
    v.nodeId,
    NodeKind.Agent,
    'agent',
    clip(v.name),
    null,
    null,
    null,
    metadata({
      agent_id: v.agentId,
      agent_type: v.agentType,
      status: v.status,
      task: v.task,
      progress: String(v.progress),
      swarm: v.swarm,
    }),
  );
}

function taskNode(v: TaskView): NodeT {
  return new NodeT(
    v.nodeId,
    NodeKind.Task,
    'task',
    clip(v.description === '' ? v.taskId : v.description),
    null,
    null,
    null,
    metadata({ task_id: v.taskId, attempt: String(v.attempt), progress: String(v.progress) }),
  );
}

function taskEdge(v: TaskView): EdgeT {
  return new EdgeT(taskEdgeId(v.nodeId), v.agentNodeId, v.nodeId, 'works-on', 1, [], true);
}

function isAgentNode(result: GraphApplyResult, agentId: string): boolean {
  if (result.ok) return false;
  const node = result.current?.node;
  return node?.kind === NodeKind.Agent && (node.metadata ?? []).some((kv) => kv.key === 'agent_id' && kv.value === agentId);
}
