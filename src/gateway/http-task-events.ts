// GET /api/tasks/:id/events: one task's changes as Server-Sent Events (`event: task`, the task as
// JSON in `data`), its current state first, until it is final; then the stream ends. Latest wins,
// as on the socket: a reader that falls behind (more than HIGH_WATER_BYTES unread) gets the task's
// latest state when it catches up, not every state in between.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FINAL_STATES, type TaskRecord } from '../tasks/task.ts';
import { HttpError } from './http-exchange.ts';
import type { TaskPort, TaskStatusMsg } from './ports.ts';
import { TaskBacklog } from './task-backlog.ts';

const HIGH_WATER_BYTES = 256 << 10;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export async function taskEvents(tasks: TaskPort, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const stream = new TaskEventStream(tasks, res, id);
  if (!tasks.watch(stream.recipient)) throw new HttpError(503, 'the task queue is not running', { 'retry-after': '1' });
  const current = await tasks.get(id);
  if (!current.ok) {
    stream.close();
    throw new HttpError(current.code === 'not-found' ? 404 : 503, current.message);
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  req.once('close', () => stream.close());
  res.on('drain', () => stream.flush());
  stream.start(current.task);
}

class TaskEventStream {
  readonly recipient: { readonly path: string; tell(msg: TaskStatusMsg): void };
  private readonly latest = new TaskBacklog(1);
  private started = false;
  private closed = false;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly tasks: TaskPort,
    private readonly res: ServerResponse,
    private readonly id: string,
  ) {
    this.recipient = { path: `http-task-events:${randomUUID()}`, tell: (msg) => this.changed(msg.task) };
  }

  start(task: TaskRecord): void {
    this.started = true;
    this.latest.put(task);
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.flush();
  }

  flush(): void {
    if (!this.started || this.closed) return;
    while (this.res.writableLength <= HIGH_WATER_BYTES) {
      const task = this.latest.take();
      if (task === undefined) return;
      this.res.write(`event: task\ndata: ${JSON.stringify(task)}\n\n`);
      if (FINAL_STATES.has(task.state)) {
        this.res.end();
        return this.close();
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.tasks.unwatch(this.recipient);
  }

  private changed(task: TaskRecord): void {
    if (task.id !== this.id || this.closed) return;
    this.latest.put(task);
    this.flush();
  }
}
