// The state of one agent, kept apart from its actor system so that it outlives a rejoin (the
// node declared the agent down, and a new system with a new incarnation takes over): the tasks
// it runs, the swarm it reports to, its telemetry. Its actor hands it every message from the
// node; it answers through the refs of whichever system is current.
import { AGENT_LIMITS } from '../agent-protocol/agent-limits.ts';
import { truncateUtf8, utf8Length } from '../agent-protocol/wire-fields.ts';
import type {
  AgentInbound,
  AgentOutbound,
  AgentRefusedMsg,
  AgentRegisteredMsg,
  CollaborationRequestMsg,
  TaskAssignedMsg,
  TaskCancelMsg,
} from '../agent-protocol/messages.ts';
import type { EventStream } from '../runtime/event-stream.ts';
import type { Ref } from '../runtime/ref.ts';
import type { AgentEvent, TaskOutcome } from './agent-events.ts';
import { AgentRefusedError } from './errors.ts';
import type { AgentTask, CollaborationHandler, TaskContext, TaskHandler } from './task-context.ts';
import type { Telemetry } from './telemetry.ts';

export interface AgentIdentity {
  readonly agentId: string;
  readonly agentType: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly swarm: string;
  readonly maxConcurrent: number;
}

/** The current system's side: this agent's actor, and where registrations go. */
export interface AgentLink {
  readonly self: Ref<AgentInbound>;
  readonly registry: Ref<AgentOutbound>;
}

interface RunningTask {
  readonly task: AgentTask;
  readonly controller: AbortController;
  readonly startedAt: number;
  /** Its final report, kept while no swarm is known (between a rejoin and its registration). */
  report?: AgentOutbound;
}

/** Messages that are not about a running task, kept while no swarm is known; the oldest go first. */
const MAX_HELD_MESSAGES = 256;
/** Reports kept to send again to a node that restarted before storing them (each at most 1 MiB). */
const MAX_SENT_REPORTS = 64;

export class AgentCore {
  private link: AgentLink | undefined;
  private swarm: Ref<AgentOutbound> | undefined;
  private registeredOnce = false;
  private closed = false;
  private readonly running = new Map<string, RunningTask>();
  private readonly held: AgentOutbound[] = [];
  /**
   * The last reports sent, by `task_id:attempt`. A node that dies after a report reached it and
   * before it stored it comes back still holding the attempt: it gets the report again rather
   * than an AgentError, so that the work is not done a second time.
   */
  private readonly sent = new Map<string, AgentOutbound>();

  constructor(
    readonly identity: AgentIdentity,
    private readonly onTask: TaskHandler,
    private readonly onCollaboration: CollaborationHandler | undefined,
    private readonly telemetry: Telemetry,
    private readonly events: EventStream<AgentEvent>,
  ) {}

  get activeTasks(): number {
    return this.running.size;
  }

  get isRegistered(): boolean {
    return this.swarm !== undefined;
  }

  /** Whether the node has accepted this agent at least once (in any session). */
  get hasRegistered(): boolean {
    return this.registeredOnce;
  }

  /** A system's actor has started (the first, or after a rejoin): register through it. */
  attach(link: AgentLink): void {
    this.link = link;
    this.swarm = undefined;
    this.register();
  }

  /** Registers (again): after a reconnect the node answers with the tasks it still counts as ours. */
  register(): void {
    if (this.closed || this.link === undefined) return;
    const id = this.identity;
    this.link.registry.tell(
      {
        kind: 'agent-register',
        agentId: id.agentId,
        agentType: id.agentType,
        name: id.name,
        capabilities: id.capabilities,
        swarm: id.swarm,
        maxConcurrent: id.maxConcurrent,
        agent: this.link.self,
      },
      this.link.self,
    );
  }

  /**
   * The node no longer knows this agent (its swarm dropped it after missed heartbeats, or restarted):
   * reports are kept, and nothing else is sent, until it registers again.
   */
  unregistered(): void {
    this.swarm = undefined;
  }

  /** The system behind `link` is gone: nothing is sent until the next one registers. */
  detach(): void {
    this.link = undefined;
    this.swarm = undefined;
  }

  receive(message: AgentInbound): void {
    if (this.closed) return;
    switch (message.kind) {
      case 'agent-registered':
        this.registered(message);
        break;
      case 'agent-refused':
        this.refused(message);
        break;
      case 'task-assigned':
        this.assigned(message);
        break;
      case 'task-cancel':
        this.cancelled(message);
        break;
      case 'collaboration-request':
        this.collaboration(message);
        break;
    }
  }

  heartbeat(): void {
    const t = this.telemetry;
    this.send({
      kind: 'agent-heartbeat',
      agentId: this.identity.agentId,
      cpuPercent: t.cpuPercent(),
      memoryBytes: t.memoryBytes(),
      activeTasks: this.running.size,
      health: t.health(),
      tokenUsage: t.tokenUsage,
    });
  }

  /** Stops every task (their handlers see the abort) and sends nothing more. */
  close(reason: string): void {
    if (this.closed) return;
    for (const [taskId, running] of [...this.running]) this.end(taskId, running, 'cancelled', reason);
    this.closed = true;
    this.held.length = 0;
  }

  // ---- from the node ------------------------------------------------------------------------------

  private registered(m: AgentRegisteredMsg): void {
    this.swarm = m.swarmRef;
    const held = new Set(m.holding.map((h) => holdingKey(h.taskId, h.attempt)));
    const resumed: string[] = [];
    const dropped: string[] = [];
    for (const [taskId, running] of [...this.running]) {
      if (held.has(holdingKey(taskId, running.task.attempt))) {
        resumed.push(taskId);
        if (running.report !== undefined) this.finish(taskId, running, running.report);
      } else if (this.registeredOnce || running.report !== undefined) {
        dropped.push(taskId);
        this.end(taskId, running, 'dropped', 'the node no longer counts this task as this agent’s');
      }
    }
    // Tasks the node still counts as ours that this process never ran (it restarted): say so at
    // once, so that the node gives them to someone else rather than wait for their deadline.
    for (const h of m.holding) {
      if (this.running.get(h.taskId)?.task.attempt === h.attempt) continue;
      const report = this.sent.get(holdingKey(h.taskId, h.attempt));
      if (report !== undefined) {
        this.send(report);
        continue;
      }
      this.send({
        kind: 'agent-error',
        agentId: this.identity.agentId,
        taskId: h.taskId,
        attempt: h.attempt,
        message: 'this agent restarted and no longer has the task',
        recoverable: true,
      });
    }
    this.registeredOnce = true;
    for (const message of this.held.splice(0)) this.send(message);
    this.events.publish({ type: 'registered', swarm: m.swarm, nodeId: m.nodeId, heartbeatMs: m.heartbeatMs, resumed, dropped });
    this.heartbeat();
  }

  private refused(m: AgentRefusedMsg): void {
    const error = new AgentRefusedError(m.code, m.message, m.taskId);
    if (m.taskId !== undefined) {
      const running = this.running.get(m.taskId);
      if (running !== undefined) this.end(m.taskId, running, 'refused', error.message);
    }
    this.events.publish({ type: 'refused', error });
  }

  private assigned(m: TaskAssignedMsg): void {
    const existing = this.running.get(m.taskId);
    if (existing !== undefined) {
      // The same attempt twice is the node repeating itself; a newer attempt replaces the old one.
      if (existing.task.attempt >= m.attempt) return;
      this.end(m.taskId, existing, 'cancelled', `attempt ${m.attempt} replaces attempt ${existing.task.attempt}`);
    }
    if (this.running.size >= this.identity.maxConcurrent) {
      this.send(this.errorReport(m.taskId, m.attempt, `at capacity: ${this.identity.maxConcurrent} tasks at once`, true));
      return;
    }
    const { kind: _kind, ...task } = m;
    const running: RunningTask = { task, controller: new AbortController(), startedAt: Date.now() };
    this.running.set(m.taskId, running);
    this.events.publish({ type: 'task-started', taskId: m.taskId, attempt: m.attempt, capability: m.capability });
    let work: Promise<unknown>;
    try {
      work = this.onTask(task, this.contextFor(running));
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      (value) => this.succeeded(running, value),
      (error: unknown) => this.failed(running, error),
    );
  }

  private cancelled(m: TaskCancelMsg): void {
    const running = this.running.get(m.taskId);
    if (running === undefined || (m.attempt !== 0 && running.task.attempt !== m.attempt)) return;
    this.end(m.taskId, running, 'cancelled', m.reason === '' ? 'cancelled by the node' : m.reason);
  }

  private collaboration(m: CollaborationRequestMsg): void {
    this.events.publish({ type: 'collaboration', fromAgent: m.fromAgent, taskId: m.taskId, message: m.message });
    if (this.onCollaboration === undefined) return;
    try {
      this.onCollaboration({ fromAgent: m.fromAgent, toAgents: m.toAgents, taskId: m.taskId, message: m.message });
    } catch (error) {
      this.warn(`the collaboration handler threw: ${describe(error)}`);
    }
  }

  // ---- a task's end --------------------------------------------------------------------------------

  private succeeded(running: RunningTask, value: unknown): void {
    if (!this.isCurrent(running)) return;
    let result: string;
    try {
      result = typeof value === 'string' ? value : value === undefined ? '' : (JSON.stringify(value) ?? '');
    } catch (error) {
      this.failed(running, new Error(`the result could not be written as JSON: ${describe(error)}`));
      return;
    }
    if (utf8Length(result) > AGENT_LIMITS.payloadText) {
      this.failed(running, Object.assign(new Error(`the result is ${utf8Length(result)} bytes, more than 1 MiB`), { recoverable: false }));
      return;
    }
    const { taskId, attempt } = running.task;
    const durationMs = Date.now() - running.startedAt;
    this.finish(taskId, running, {
      kind: 'task-completed',
      taskId,
      agentId: this.identity.agentId,
      attempt,
      success: true,
      result,
      durationMs,
    });
  }

  private failed(running: RunningTask, error: unknown): void {
    if (!this.isCurrent(running)) return;
    const recoverable = !(typeof error === 'object' && error !== null && (error as { recoverable?: unknown }).recoverable === false);
    const { taskId, attempt } = running.task;
    this.finish(taskId, running, this.errorReport(taskId, attempt, describe(error), recoverable));
  }

  /** Sends a finished task's report, or keeps it until a swarm is known. */
  private finish(taskId: string, running: RunningTask, report: AgentOutbound): void {
    if (this.swarm === undefined) {
      running.report = report;
      return;
    }
    this.send(report);
    this.remember(holdingKey(taskId, running.task.attempt), report);
    const success = report.kind === 'task-completed';
    this.running.delete(taskId);
    this.telemetry.taskEnded(success);
    this.events.publish({
      type: 'task-ended',
      taskId,
      attempt: running.task.attempt,
      outcome: success ? 'completed' : 'failed',
      durationMs: Date.now() - running.startedAt,
      ...(report.kind === 'agent-error' ? { detail: report.message } : {}),
    });
  }

  private remember(key: string, report: AgentOutbound): void {
    this.sent.delete(key);
    this.sent.set(key, report);
    // The oldest first: a node that restarted holds at most its agent's last few attempts.
    if (this.sent.size > MAX_SENT_REPORTS) this.sent.delete(this.sent.keys().next().value!);
  }

  /** Ends a task without a report: the node already knows (cancelled, dropped, refused). */
  private end(taskId: string, running: RunningTask, outcome: TaskOutcome, detail: string): void {
    this.running.delete(taskId);
    running.controller.abort(new Error(detail));
    this.events.publish({
      type: 'task-ended',
      taskId,
      attempt: running.task.attempt,
      outcome,
      durationMs: Date.now() - running.startedAt,
      detail,
    });
  }

  private isCurrent(running: RunningTask): boolean {
    return !this.closed && this.running.get(running.task.taskId) === running && running.report === undefined;
  }

  private errorReport(taskId: string, attempt: number, message: string, recoverable: boolean): AgentOutbound {
    return {
      kind: 'agent-error',
      agentId: this.identity.agentId,
      taskId,
      attempt,
      message: truncateUtf8(message, AGENT_LIMITS.description),
      recoverable,
    };
  }

  // ---- what a handler may do ------------------------------------------------------------------------

  private contextFor(running: RunningTask): TaskContext {
    const agentId = this.identity.agentId;
    const { taskId, attempt } = running.task;
    const live = (): boolean => this.isCurrent(running);
    return {
      agentId,
      signal: running.controller.signal,
      progress: (progress, partialResult = '') => {
        checkText('partialResult', partialResult, AGENT_LIMITS.payloadText);
        if (live()) this.send({ kind: 'task-progress', taskId, agentId, attempt, progress, partialResult });
      },
      share: (topic, content, nodeIds) => {
        checkText('topic', topic, AGENT_LIMITS.topic);
        checkText('content', content, AGENT_LIMITS.payloadText);
        if (nodeIds.length > AGENT_LIMITS.nodeIds) throw new RangeError(`at most ${AGENT_LIMITS.nodeIds} node ids in one share`);
        for (const id of nodeIds)
          if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`node id ${id} is not a u32`);
        if (live()) this.sendOrHold({ kind: 'knowledge-share', agentId, topic, content, nodeIds: [...nodeIds] });
      },
      collaborate: (toAgents, message) => {
        checkText('message', message, AGENT_LIMITS.description);
        if (toAgents.length > AGENT_LIMITS.collaborators) throw new RangeError(`at most ${AGENT_LIMITS.collaborators} agents`);
        for (const to of toAgents) checkText('agent id', to, AGENT_LIMITS.id);
        if (live()) this.sendOrHold({ kind: 'collaboration-request', fromAgent: agentId, toAgents: [...toAgents], taskId, message });
      },
      useTokens: (count) => this.telemetry.useTokens(count),
    };
  }

  // ---- to the node ------------------------------------------------------------------------------------

  private send(message: AgentOutbound): void {
    const link = this.link;
    if (this.closed || this.swarm === undefined || link === undefined) return;
    this.swarm.tell(message, link.self);
  }

  private sendOrHold(message: AgentOutbound): void {
    if (this.swarm !== undefined) {
      this.send(message);
      return;
    }
    if (this.held.length >= MAX_HELD_MESSAGES) {
      this.held.shift();
      this.warn(`more than ${MAX_HELD_MESSAGES} messages waited for the node: the oldest was dropped`);
    }
    this.held.push(message);
  }

  private warn(message: string): void {
    this.events.publish({ type: 'warning', message });
  }
}

function holdingKey(taskId: string, attempt: number): string {
  return `${taskId}:${attempt}`;
}

function checkText(field: string, text: string, maxBytes: number): void {
  if (typeof text !== 'string') throw new TypeError(`${field} must be a string`);
  if (text.length * 3 > maxBytes && utf8Length(text) > maxBytes) throw new RangeError(`${field} is more than ${maxBytes} bytes of UTF-8`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
