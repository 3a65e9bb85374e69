// Agent nodes left by an earlier run of the node: after a restart the graph still shows the agents
// of the last run as they were ("working", "idle") though none of them is registered. When a swarm
// starts it walks the graph's node list (agent nodes only, page by page: bounded reads) and marks
// the nodes of its swarm whose agent has not registered in this run as "offline".
import type { GraphNodeView } from '../gateway/ports.ts';
import type { SwarmState } from './swarm-state.ts';

/** Node list entries asked at once. */
const PAGE = 1_000;
/** Agent nodes looked at, at most: a graph with more stops the sweep there. */
const MAX_SWEPT = 100_000;

export interface StaleAgent {
  readonly nodeId: number;
  readonly agentId: string;
  readonly name: string;
  readonly agentType: string;
}

/** Reads the agent nodes page by page and tells the dispatcher about those of this swarm shown live. */
export function startSweep(s: SwarmState): void {
  const graph = s.deps.graph;
  if (graph === undefined) return;
  const self = s.ctx.self;
  const walk = async (): Promise<void> => {
    let offset: number | undefined = 0;
    let seen = 0;
    // Each round moves `offset` forward by a page of the node list, and stops at MAX_SWEPT agents.
    while (offset !== undefined && seen < MAX_SWEPT) {
      const page = await graph.nodePage(offset, PAGE, 'agent');
      seen += page.nodes.length;
      const stale = page.nodes.flatMap((n) => staleOf(n, s.swarm));
      if (stale.length > 0) self.tell({ type: 'stale-agents', agents: stale });
      offset = page.next;
    }
  };
  walk().catch((error: unknown) =>
    s.deps.log?.('warn', { swarm: s.swarm, error: String(error) }, 'agent nodes of an earlier run could not be swept'),
  );
}

function staleOf(n: GraphNodeView, swarm: string): StaleAgent[] {
  const m = n.metadata;
  if (n.kind !== 'agent' || m === undefined || m.swarm !== swarm || m.agent_id === undefined) return [];
  if (m.status !== 'working' && m.status !== 'idle') return [];
  return [{ nodeId: n.id, agentId: m.agent_id, name: n.title ?? m.agent_id, agentType: m.agent_type ?? '' }];
}

/** Those not registered, nor written by this swarm since it started, are shown offline. */
export function sweepStale(s: SwarmState, agents: readonly StaleAgent[]): void {
  for (const a of agents) {
    if (s.agents.has(a.agentId) || s.graph.touched(a.nodeId)) continue;
    s.graph.existing(a.nodeId);
    s.graph.agent({ ...a, swarm: s.swarm, status: 'offline', task: '', progress: 0 });
  }
}
