// The bundled agents: what each is called, the capability tasks find it by, and its handler.
import type { TaskHandler } from '../sdk/task-context.ts';
import { curateTask } from './curate-task.ts';
import type { GraphClient } from './graph-client.ts';
import { SnapshotCache } from './graph-snapshot.ts';
import { linkTask } from './link-task.ts';
import { summariseTask } from './summarise-task.ts';

export interface BundledAgent {
  readonly type: 'linker' | 'summariser' | 'curator';
  readonly capability: string;
  readonly description: string;
  handler(client: GraphClient, snapshots: SnapshotCache): TaskHandler;
}

export const BUNDLED_AGENTS: readonly BundledAgent[] = [
  { type: 'linker', capability: 'link', description: 'proposes links for unlinked mentions of page titles', handler: linkTask },
  { type: 'summariser', capability: 'summarise', description: 'extractive TextRank summaries of pages', handler: summariseTask },
  { type: 'curator', capability: 'curate', description: 'orphans, near-duplicate titles, single-use tags', handler: curateTask },
];

export function bundledAgent(type: string): BundledAgent | undefined {
  return BUNDLED_AGENTS.find((a) => a.type === type);
}

export { SnapshotCache };
