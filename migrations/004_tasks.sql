-- The agent swarms' tasks (src/tasks/task.ts): one row per TaskRecord, written only by the task
-- queue. `revision` fences writes: an update names the revision it read, so a write decided on a
-- stale view (another incarnation, another node) matches no row and its transaction rolls back.
CREATE TABLE tasks (
  id           text     PRIMARY KEY,
  parent_id    text,
  swarm        text     NOT NULL,
  state        text     NOT NULL CHECK (state IN ('queued', 'assigned', 'running', 'done', 'failed', 'cancelled')),
  description  text     NOT NULL,
  recipe       text,
  capability   text     NOT NULL,
  input        text     NOT NULL,
  priority     smallint NOT NULL CHECK (priority BETWEEN 0 AND 255),
  deadline_ms  bigint   NOT NULL,
  max_attempts integer  NOT NULL,
  attempts     integer  NOT NULL,
  agent_id     text,
  lease_until  bigint,
  progress     double precision NOT NULL,
  result       text,
  errors       jsonb    NOT NULL,
  subtasks     jsonb    NOT NULL,
  submitted_by text     NOT NULL,
  created_ms   bigint   NOT NULL,
  updated_ms   bigint   NOT NULL,
  revision     bigint   NOT NULL
);
-- What a queue loads at start and leases from: the open tasks, best first per swarm.
CREATE INDEX tasks_open ON tasks (swarm, state, priority DESC, created_ms, id)
  WHERE state IN ('queued', 'assigned', 'running');
CREATE INDEX tasks_parent ON tasks (parent_id, created_ms) WHERE parent_id IS NOT NULL;
CREATE INDEX tasks_by_state ON tasks (state, created_ms DESC);
CREATE INDEX tasks_created ON tasks (created_ms DESC, id);
