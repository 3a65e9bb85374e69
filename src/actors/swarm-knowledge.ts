// KnowledgeShare into the graph: a node of kind Knowledge (title the topic, the content, metadata
// author = the agent), linked to each node it names that exists. The named ids are looked up first
// (GraphPort.nodesById, its answer a message to the dispatcher), so a link to a node that does not
// exist is skipped, and said so, rather than failing the whole write.
import type { KnowledgeShareMsg } from '../agent-protocol/messages.ts';
import type { GraphMutation } from '../graph/changes.ts';
import { edgeIdOf, fnv1a32 } from '../import/ids.ts';
import { MAX_NODE_ID } from '../graph/model.ts';
import { AddEdgeT, AddNodeT, EdgeT, ErrorCode, GraphBatchT, GraphOp, GraphUpdateT, KeyValueT, NodeKind, NodeT } from '../protocol/index.ts';
import type { Ref } from '../runtime/ref.ts';
import { refuse, speakingAgent } from './swarm-agents.ts';
import type { SwarmMsg } from './swarm-messages.ts';
import { MAX_KNOWLEDGE_IN_FLIGHT, type SwarmState } from './swarm-state.ts';
import type { GraphApplyResult } from '../graph/changes.ts';

/** Longest topic kept as the node's title (the wire allows 1024 characters). */
const MAX_TOPIC = 1_024;

export function knowledgeShare(s: SwarmState, m: KnowledgeShareMsg, sender: Ref<unknown> | undefined): void {
  const agent = speakingAgent(s, m.agentId, sender);
  if (agent === undefined) return;
  const graph = s.deps.graph;
  if (graph === undefined) return refuse(agent.ref, ErrorCode.Unsupported, 'this node keeps no graph for knowledge');
  if (Buffer.byteLength(m.content, 'utf8') > s.limits.maxResultBytes) {
    return refuse(agent.ref, ErrorCode.BadMessage, `knowledge content is at most ${s.limits.maxResultBytes} bytes`);
  }
  // Passing conditions are logged, not refused: an agent takes a refusal that names no task as the
  // end of its registration (the SDK stops), which a busy graph should not cost it.
  if (s.knowledgeChecking + s.knowledge.size >= MAX_KNOWLEDGE_IN_FLIGHT) {
    s.deps.log?.('warn', { swarm: s.swarm, agentId: agent.id, topic: m.topic.slice(0, 80) }, 'knowledge dropped: too much in flight');
    return;
  }
  const ids = [...new Set(m.nodeIds.filter((id) => Number.isInteger(id) && id >= 0 && id <= MAX_NODE_ID))].slice(
    0,
    s.limits.maxKnowledgeLinks,
  );
  s.knowledgeChecking++;
  s.ctx.pipeToSelf(
    ids.length === 0 ? Promise.resolve([]) : graph.nodesById(ids),
    (nodes): SwarmMsg => ({ type: 'knowledge-checked', share: m, existing: nodes.map((n) => n.id) }),
    (error): SwarmMsg => ({
      type: 'knowledge-checked',
      share: m,
      existing: [],
      error: error instanceof Error ? error.message : String(error),
    }),
  );
}

export function knowledgeChecked(s: SwarmState, share: KnowledgeShareMsg, existing: readonly number[], error: string | undefined): void {
  s.knowledgeChecking--;
  if (error !== undefined) {
    s.deps.log?.('warn', { swarm: s.swarm, agentId: share.agentId, error }, 'knowledge not written: its links could not be checked');
    return;
  }
  const tag = ++s.knowledgeTags;
  const nodeId = fnv1a32(`vf-knowledge\u0000${share.agentId}\u0000${share.topic}\u0000${tag}\u0000${s.ctx.system.clock.now()}`);
  const present = new Set(existing);
  const skipped = [...new Set(share.nodeIds)].filter((id) => !present.has(id));
  s.knowledge.set(tag, { agentId: share.agentId, nodeId, skipped });
  s.deps.graph!.apply({ mutation: knowledgeMutation(share, nodeId, existing), origin: origin(s, share.agentId), replyTo: s.ctx.self, tag });
}

export function knowledgeApplied(s: SwarmState, tag: number, result: GraphApplyResult): void {
  const write = s.knowledge.get(tag);
  if (write === undefined) return;
  s.knowledge.delete(tag);
  const fields = { swarm: s.swarm, agentId: write.agentId, nodeId: write.nodeId, skipped: write.skipped.slice(0, 20) };
  if (result.ok)
    s.deps.log?.('info', fields, write.skipped.length === 0 ? 'knowledge written' : 'knowledge written; links to missing nodes skipped');
  else s.deps.log?.('warn', { ...fields, error: result.message }, 'knowledge not written');
}

/** Who writes a swarm's nodes, as the journal and the change stream name it. */
export function origin(s: SwarmState, agentId: string): { session: string; subject: string } {
  return { session: `swarm:${s.swarm}`, subject: `agent:${agentId}` };
}

function knowledgeMutation(share: KnowledgeShareMsg, nodeId: number, targets: readonly number[]): GraphMutation {
  const topic = share.topic.length > MAX_TOPIC ? share.topic.slice(0, MAX_TOPIC) : share.topic;
  const node = new NodeT(nodeId, NodeKind.Knowledge, 'knowledge', topic, share.content, null, null, [
    new KeyValueT('author', share.agentId),
  ]);
  const updates = [new GraphUpdateT(GraphOp.AddNode, new AddNodeT(node))];
  for (const target of targets) {
    const edge = new EdgeT(edgeIdOf('vf-knowledge-link', nodeId, target), nodeId, target, 'about', 1, [], true);
    updates.push(new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(edge)));
  }
  return updates.length === 1 ? { kind: 'update', update: updates[0]! } : { kind: 'batch', batch: new GraphBatchT(updates) };
}
