// The bundled recipes' task input: {"pages": [node ids]}. Anything else fails the task at once,
// unrecoverably: another attempt would read the same input.
import { TaskError } from '../sdk/errors.ts';

export interface PagesInput {
  readonly pages: readonly number[];
}

/** Pages per task at most. */
export const MAX_PAGES = 1000;

export function parsePagesInput(input: string, required: boolean): PagesInput {
  let parsed: unknown;
  try {
    parsed = input.trim() === '' ? {} : JSON.parse(input);
  } catch {
    throw new TaskError('the task input is not JSON: expected {"pages": [node ids]}', false);
  }
  const pages = (parsed as { pages?: unknown } | null)?.pages;
  if (pages === undefined && !required) return { pages: [] };
  if (!Array.isArray(pages) || pages.length > MAX_PAGES || !pages.every((p) => Number.isInteger(p) && p >= 0 && p <= 0xffffffff)) {
    throw new TaskError(`expected {"pages": [node ids]} with 1 to ${MAX_PAGES} unsigned 32-bit ids`, false);
  }
  if (required && pages.length === 0) throw new TaskError('the task names no pages', false);
  return { pages: [...new Set(pages as number[])] };
}
