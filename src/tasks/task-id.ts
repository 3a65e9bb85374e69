// Task ids: "t-" and 96 random bits, so ids never collide across nodes or restarts and say nothing
// about how many tasks there are.
import { randomBytes } from 'node:crypto';

export const TASK_ID_MAX_LENGTH = 256;

export function newTaskId(): string {
  return `t-${randomBytes(12).toString('base64url')}`;
}
