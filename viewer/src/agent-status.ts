// What the viewer knows of each agent node: its status and current task, first from the node's
// metadata (status, task, progress) and then, where the node has an agent swarm, from the agent
// events on Topic.Agents (registration maps an agent id to its node; tasks and errors update it).
// Everything here is text from outside: it is only ever shown through textContent.
import type {
  AgentErrorT,
  AgentHeartbeatT,
  AgentRegisterT,
  TaskAssignedT,
  TaskCompletedT,
  TaskProgressT,
} from '../../src/protocol/index.ts';
import { Payload } from '../../src/protocol/index.ts';

export interface AgentState {
  status?: string;
  task?: string;
  /** 0 to 1, when known. */
  progress?: number;
}

/** Longest status or task text kept (a task description may be 64 kB). */
const MAX_TEXT = 160;

function clip(text: string | Uint8Array | null | undefined): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
}

export type AgentPayload = AgentRegisterT | AgentHeartbeatT | TaskAssignedT | TaskProgressT | TaskCompletedT | AgentErrorT;

export class AgentStatus {
  private readonly byNode = new Map<number, AgentState>();
  private readonly nodeOfAgent = new Map<string, number>();
  /** Bumped on every change: labels and the panel redraw. */
  version = 0;

  /** From a node's metadata (the HTTP node view). */
  fromMetadata(id: number, metadata: Readonly<Record<string, string>> | undefined): void {
    if (metadata === undefined) return;
    const progress = Number(metadata.progress);
    const state = this.stateOf(id);
    const status = clip(metadata.status);
    const task = clip(metadata.task ?? metadata.currentTask);
    if (status !== undefined) state.status = status;
    if (task !== undefined) state.task = task;
    if (Number.isFinite(progress) && progress >= 0 && progress <= 1) state.progress = progress;
    const agentId = metadata.agent_id ?? metadata.agentId;
    if (typeof agentId === 'string' && agentId !== '') this.nodeOfAgent.set(agentId, id);
    this.version++;
  }

  /** An agent event; returns whether it was one this understands. */
  accept(type: Payload, payload: AgentPayload): boolean {
    switch (type) {
      case Payload.AgentRegister: {
        const p = payload as AgentRegisterT;
        if (typeof p.agentId !== 'string') return false;
        this.nodeOfAgent.set(p.agentId, p.nodeId);
        this.update(p.agentId, (s) => (s.status = 'registered'));
        return true;
      }
      case Payload.AgentHeartbeat: {
        const p = payload as AgentHeartbeatT;
        return this.update(p.agentId, (s) => {
          if (s.status === undefined || s.status === 'registered' || s.status === 'unhealthy' || s.status === 'healthy')
            s.status = p.health < 0.5 ? 'unhealthy' : 'healthy';
        });
      }
      case Payload.TaskAssigned: {
        const p = payload as TaskAssignedT;
        return this.update(p.agentId, (s) => {
          s.status = 'working';
          s.task = clip(p.description) ?? clip(p.taskId);
          delete s.progress;
        });
      }
      case Payload.TaskProgress: {
        const p = payload as TaskProgressT;
        return this.update(p.agentId, (s) => {
          s.status = 'working';
          s.task ??= clip(p.taskId);
          s.progress = p.progress;
        });
      }
      case Payload.TaskCompleted: {
        const p = payload as TaskCompletedT;
        return this.update(p.agentId, (s) => {
          s.status = p.success ? 'idle' : 'failed';
          delete s.task;
          delete s.progress;
        });
      }
      case Payload.AgentError: {
        const p = payload as AgentErrorT;
        return this.update(p.agentId, (s) => (s.status = p.recoverable ? 'error (recovering)' : 'error'));
      }
      default:
        return false;
    }
  }

  get(id: number): Readonly<AgentState> | undefined {
    return this.byNode.get(id);
  }

  /** One line for a label or the panel: "working · Summarise the notes (40%)". */
  describe(id: number): string {
    const s = this.byNode.get(id);
    const status = s?.status ?? 'status unknown';
    if (s?.task === undefined) return `${status} · no current task`;
    const progress = s.progress === undefined ? '' : ` (${Math.round(s.progress * 100)}%)`;
    return `${status} · ${s.task}${progress}`;
  }

  private stateOf(id: number): AgentState {
    let s = this.byNode.get(id);
    if (s === undefined) {
      s = {};
      this.byNode.set(id, s);
    }
    return s;
  }

  private update(agentId: string | Uint8Array | null, change: (s: AgentState) => void): boolean {
    if (typeof agentId !== 'string') return false;
    const node = this.nodeOfAgent.get(agentId);
    if (node === undefined) return false;
    change(this.stateOf(node));
    this.version++;
    return true;
  }
}
