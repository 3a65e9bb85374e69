// The gateway's task routes (the list is in http-api.ts), over the agents' task queue:
//
//   POST   /api/tasks                 tasks:write: {description, recipe?, capability?, input?, swarm?,
//                                     priority?, deadlineMs?, maxAttempts?}; input is a string or any
//                                     JSON value (sent on as its JSON text). 201 with the task queued.
//   GET    /api/tasks?state=queued,running&parent=ID&limit=N   read: newest first, limit 1 to 1000
//                                     (default 100)
//   GET    /api/tasks/:id             read
//   DELETE /api/tasks/:id?reason=     tasks:write: cancels the task and its subtasks (an editor only
//                                     its own: the queue decides); 200 with the task cancelled
//   GET    /api/tasks/:id/events      read: the task's changes as Server-Sent Events until it is
//                                     final (http-task-events.ts)
//
// A refusal of the queue keeps its meaning: 400 bad request, 403 not yours, 404 unknown task, 409
// already final, 503 the queue is full, not running or did not answer in time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { TokenAuthority } from '../auth/token.ts';
import { TASK_STATES, type TaskState } from '../tasks/task.ts';
import { boundedInt, HttpError, json, methods, need, readBody } from './http-exchange.ts';
import { taskEvents } from './http-task-events.ts';
import type { TaskFilter, TaskListOutcome, TaskOutcome, TaskPort, TaskRefusalCode } from './ports.ts';
import { MAX_TASK_LIST } from './ports.ts';
import { checkNewTask, TASK_LIMITS } from './task-input.ts';
import { clipUtf8 } from './task-wire.ts';

export interface TaskRouteDeps {
  readonly tokens: TokenAuthority;
  readonly tasks: TaskPort | undefined;
}

/**
 * Largest POST /api/tasks body: a task's description and input at their bounds, with room for
 * JSON's escapes. The other routes' bodies are far smaller (limits.maxBodyBytes).
 */
export const MAX_TASK_BODY_BYTES = 2 << 20;

const DEFAULT_LIST_LIMIT = 100;
const MAX_ID_BYTES = 256;
const MAX_REASON_BYTES = 1024;

const STATUS: Readonly<Record<TaskRefusalCode, number>> = {
  'bad-request': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  overloaded: 503,
  unavailable: 503,
};

const taskBody = z
  .object({
    description: z.string().max(TASK_LIMITS.descriptionBytes),
    recipe: z.string().max(TASK_LIMITS.nameBytes).optional(),
    capability: z.string().max(TASK_LIMITS.nameBytes).optional(),
    input: z.unknown().optional(),
    swarm: z.string().max(TASK_LIMITS.swarmBytes).optional(),
    priority: z.number().int().min(0).max(TASK_LIMITS.maxPriority).optional(),
    deadlineMs: z.number().int().min(0).max(TASK_LIMITS.maxDeadlineMs).optional(),
    maxAttempts: z.number().int().min(0).max(TASK_LIMITS.maxAttempts).optional(),
  })
  .strict();

/** `parts`: the path after /api/tasks, split at '/' ([] for /api/tasks itself). */
export async function taskRoute(deps: TaskRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]): Promise<void> {
  if (parts.length === 0) {
    methods(req, ['GET', 'HEAD', 'POST']);
    return req.method === 'POST' ? submit(deps, req, res, url) : list(deps, req, res, url);
  }
  if (parts.length === 2 && parts[1] === 'events') {
    methods(req, ['GET']);
    need(deps.tokens, req, url, 'read');
    return taskEvents(port(deps), req, res, taskId(parts[0]!));
  }
  if (parts.length !== 1) throw new HttpError(404, 'not found');
  methods(req, ['GET', 'HEAD', 'DELETE']);
  const id = taskId(parts[0]!);
  if (req.method === 'DELETE') return cancel(deps, req, res, url, id);
  need(deps.tokens, req, url, 'read');
  return answer(res, 200, await port(deps).get(id));
}

function port(deps: TaskRouteDeps): TaskPort {
  if (deps.tasks === undefined) throw new HttpError(503, 'no task queue on this node');
  return deps.tasks;
}

async function submit(deps: TaskRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const auth = need(deps.tokens, req, url, 'tasks:write');
  const tasks = port(deps);
  const parsed = taskBody.safeParse(await readBody(req, MAX_TASK_BODY_BYTES));
  if (!parsed.success) throw new HttpError(400, `bad task: ${describeIssue(parsed.error.issues[0])}`);
  const { input, ...fields } = parsed.data;
  const checked = checkNewTask({ ...fields, input: input === undefined || typeof input === 'string' ? input : JSON.stringify(input) });
  if (!checked.ok) throw new HttpError(400, `bad task: ${checked.error}`);
  const outcome = await tasks.submit(checked.task, { subject: auth.claims.sub, role: auth.claims.role });
  const headers: Record<string, string> = outcome.ok ? { location: `/api/tasks/${encodeURIComponent(outcome.task.id)}` } : {};
  return answer(res, 201, outcome, headers);
}

async function list(deps: TaskRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  need(deps.tokens, req, url, 'read');
  const tasks = port(deps);
  const filter: { -readonly [K in keyof TaskFilter]: TaskFilter[K] } = {
    limit: boundedInt(url.searchParams.get('limit'), DEFAULT_LIST_LIMIT, 1, MAX_TASK_LIST),
  };
  const states = url.searchParams.get('state');
  if (states !== null && states !== '') filter.states = parseStates(states);
  const parent = url.searchParams.get('parent');
  if (parent !== null && parent !== '') filter.parentId = taskId(parent, false);
  return answer(res, 200, await tasks.list(filter));
}

async function cancel(deps: TaskRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL, id: string): Promise<void> {
  const auth = need(deps.tokens, req, url, 'tasks:write');
  const tasks = port(deps);
  const reason = clipUtf8(url.searchParams.get('reason') ?? '', MAX_REASON_BYTES) || `cancelled by ${auth.claims.sub}`;
  return answer(res, 200, await tasks.cancel(id, { subject: auth.claims.sub, role: auth.claims.role }, reason));
}

function answer(res: ServerResponse, okStatus: number, outcome: TaskOutcome | TaskListOutcome, headers: Record<string, string> = {}): void {
  if (!outcome.ok) {
    const retry: Record<string, string> = STATUS[outcome.code] === 503 ? { 'retry-after': '1' } : {};
    return json(res, STATUS[outcome.code], { error: outcome.code, message: outcome.message }, retry);
  }
  return json(res, okStatus, 'task' in outcome ? outcome.task : { tasks: outcome.tasks }, headers);
}

function parseStates(raw: string): TaskState[] {
  const states = raw.split(',');
  const known = new Set<string>(TASK_STATES);
  const unknown = states.find((st) => !known.has(st));
  if (unknown !== undefined) throw new HttpError(400, `state: a comma-separated list of ${TASK_STATES.join(', ')}`);
  return [...new Set(states)] as TaskState[];
}

/** A task id from the path (`encoded`) or the query: 1 to 256 bytes. */
function taskId(raw: string, encoded = true): string {
  let id: string;
  try {
    id = encoded ? decodeURIComponent(raw) : raw;
  } catch {
    throw new HttpError(400, 'a task id is 1 to 256 bytes');
  }
  if (id === '' || Buffer.byteLength(id) > MAX_ID_BYTES) throw new HttpError(400, 'a task id is 1 to 256 bytes');
  return id;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid';
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}
