// The errors an agent's caller sees, each a class of its own so that code can tell them apart.
import { ErrorCode } from '../protocol/generated/vf/error-code.ts';

/** The node refused the registration, or a report about a task (agent-refused). */
export class AgentRefusedError extends Error {
  /** ErrorCode's name: "Unauthorized", "Conflict", "BadMessage", "Overloaded", ... */
  readonly codeName: string;
  constructor(
    /** ErrorCode of schemas/error.fbs. */
    readonly code: number,
    readonly reason: string,
    /** The task the refused report was about; undefined for a refused registration. */
    readonly taskId?: string,
  ) {
    const codeName = ErrorCode[code] ?? `code ${code}`;
    super(
      taskId === undefined
        ? `the node refused the agent (${codeName}): ${reason}`
        : `the node refused a report on task ${taskId} (${codeName}): ${reason}`,
    );
    this.name = 'AgentRefusedError';
    this.codeName = codeName;
  }
}

/** The agent could not reach its node, or was not let in, within the time it was given. */
export class AgentConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConnectError';
  }
}

/** The node's address could not be learnt from its URL. */
export class NodeDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeDiscoveryError';
  }
}

/** The options of connectAgent do not make sense (a token for another agent, a bad id...). */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/**
 * Thrown by a task handler to say whether the task may be tried again: the node gives a
 * recoverable one to an agent again (up to its attempts), and fails an unrecoverable one at once.
 * Any other error thrown by a handler counts as recoverable.
 */
export class TaskError extends Error {
  constructor(
    message: string,
    readonly recoverable: boolean,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}
