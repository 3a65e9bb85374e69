// Who may do what. Roles are not a ladder: an agent may mutate the graph and speak for agents but
// not change the users' settings; an editor may change the graph and settings but not act as an
// agent. Admin may do everything, including metrics, the status page and fault injection.

export const ROLES = ['viewer', 'editor', 'agent', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  /** Subscribe to streams, read settings, query the graph, request shortest paths. */
  | 'read'
  /** Add, update and remove nodes and edges. */
  | 'graph:write'
  /** Change settings. */
  | 'settings:write'
  /** Register agents and send agent messages (heartbeats, task progress, knowledge). */
  | 'agent:act'
  /**
   * Submit tasks to the agent swarms and cancel them (the task queue lets an editor cancel only
   * its own; an admin cancels any). Agents work on tasks and do not submit them: subtasks come
   * from the planner, so every task traces back to a person.
   */
  | 'tasks:write'
  /** Metrics, the status page, the actor tree, recent events, fault injection. */
  | 'admin';

const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(['read']),
  editor: new Set(['read', 'graph:write', 'settings:write', 'tasks:write']),
  agent: new Set(['read', 'graph:write', 'agent:act']),
  admin: new Set(['read', 'graph:write', 'settings:write', 'agent:act', 'tasks:write', 'admin']),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}
