// One object-API sample of every Envelope payload, with values a float32 holds exactly, so that a
// round trip must reproduce them field for field.
import {
  AckT,
  AddEdgeT,
  AddNodeT,
  AgentErrorT,
  AgentHeartbeatT,
  AgentRegisterT,
  AudioCodec,
  BoolValueT,
  ClientKind,
  ClusterForwardT,
  ClusterHeartbeatT,
  ClusterJoinT,
  ClusterLeaveT,
  CollaborationRequestT,
  EdgeT,
  EdgeWeightChangeT,
  ErrorCode,
  ErrorReplyT,
  GraphBatchT,
  GraphOp,
  GraphUpdateT,
  HandshakeAcceptedT,
  HandshakeT,
  HlcT,
  JsonValueT,
  KeyValueT,
  KeyframeRequestT,
  KnowledgeShareT,
  NodeDragT,
  NodeKind,
  NodeT,
  NumberValueT,
  PositionFilterT,
  PositionIdTableT,
  RemoveEdgeT,
  RemoveNodeT,
  SettingValue,
  SettingsBatchT,
  SettingsDeltaT,
  SettingsGetT,
  SettingsSetT,
  ShardLeaseT,
  SsspRequestT,
  SsspResultT,
  StringValueT,
  SubscribeT,
  TaskAssignedT,
  TaskCompletedT,
  TaskProgressT,
  Topic,
  UnsubscribeT,
  UpdateNodeT,
  Vec3T,
  VoiceFrameT,
  type PayloadT,
} from '../../../src/protocol/index.ts';

const MAX_U32 = 4294967295;

export function sampleNode(): NodeT {
  return new NodeT(
    MAX_U32, // 32-bit ids survive whole
    NodeKind.Memory,
    'concept',
    'Hybrid logical clocks — ✓ unicode',
    'Body text',
    new Vec3T(1.5, -2.25, 1024),
    new Vec3T(0.125, 0, -0.5),
    [new KeyValueT('source', 'docs/hlc.md'), new KeyValueT('lang', null)],
    [0, 1, 65536, MAX_U32],
    BigInt(1_700_000_000_123),
  );
}

export function sampleEdge(): EdgeT {
  return new EdgeT(BigInt(2 ** 40 + 7), 70000, MAX_U32, 'references', 0.75, [new KeyValueT('why', 'cites')]);
}

const hlc = (): HlcT => new HlcT(BigInt(1_700_000_000_000), 4, 2);

export const samples: ReadonlyArray<readonly [string, () => PayloadT]> = [
  [
    'Handshake',
    () => new HandshakeT('secret-token', ClientKind.Agent, BigInt(123456789), 'agent-7', '7d0c5a52-3f7e-4d8e-9a61-2b1f0c9e4a10'),
  ],
  ['HandshakeAccepted', () => new HandshakeAcceptedT('session-1', BigInt(42), 5000)],
  [
    'Subscribe',
    () =>
      new SubscribeT(
        Topic.Positions,
        true,
        60,
        new PositionFilterT([NodeKind.File, NodeKind.User], 5000, new Vec3T(-10.5, -20, 0), new Vec3T(10.5, 20, 0)),
      ),
  ],
  ['Unsubscribe', () => new UnsubscribeT(Topic.Voice)],
  ['ErrorReply', () => new ErrorReplyT(ErrorCode.Overloaded, 'mailbox full')],
  ['GraphUpdate AddNode', () => new GraphUpdateT(GraphOp.AddNode, new AddNodeT(sampleNode()))],
  ['GraphUpdate UpdateNode', () => new GraphUpdateT(GraphOp.UpdateNode, new UpdateNodeT(new NodeT(7, NodeKind.Task, null, 'renamed')))],
  ['GraphUpdate RemoveNode', () => new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(MAX_U32))],
  ['GraphUpdate AddEdge', () => new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(sampleEdge()))],
  ['GraphUpdate RemoveEdge', () => new GraphUpdateT(GraphOp.RemoveEdge, new RemoveEdgeT(BigInt(99)))],
  ['GraphUpdate EdgeWeightChange', () => new GraphUpdateT(GraphOp.EdgeWeightChange, new EdgeWeightChangeT(BigInt(5), 2.5))],
  [
    'GraphBatch',
    () =>
      new GraphBatchT([
        new GraphUpdateT(GraphOp.AddNode, new AddNodeT(sampleNode())),
        new GraphUpdateT(GraphOp.AddEdge, new AddEdgeT(sampleEdge())),
        new GraphUpdateT(GraphOp.RemoveNode, new RemoveNodeT(3)),
      ]),
  ],
  ['SettingsGet', () => new SettingsGetT(['visualisation.nodes.baseColor', 'physics.damping'])],
  ['SettingsSet', () => new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(0.95), BigInt(41))],
  [
    'SettingsBatch',
    () =>
      new SettingsBatchT([
        new SettingsSetT('a.enabled', SettingValue.BoolValue, new BoolValueT(true)),
        new SettingsSetT('a.name', SettingValue.StringValue, new StringValueT('x')),
        new SettingsSetT('a.list', SettingValue.JsonValue, new JsonValueT('[1,2,3]')),
      ]),
  ],
  [
    'SettingsDelta',
    () =>
      new SettingsDeltaT(
        'physics.damping',
        SettingValue.NumberValue,
        new NumberValueT(0.9),
        SettingValue.NumberValue,
        new NumberValueT(0.95),
        hlc(),
        'client-3',
        BigInt(2 ** 40 + 3),
      ),
  ],
  ['AgentRegister', () => new AgentRegisterT('agent-1', 'researcher', 'Ada', ['search', 'summarise'], 17)],
  ['AgentHeartbeat', () => new AgentHeartbeatT('agent-1', 37.5, BigInt(2 ** 33), 3, 0.75, BigInt(1234))],
  ['TaskAssigned', () => new TaskAssignedT('task-9', 'agent-1', 'task-1', 'find papers', 5, BigInt(1_700_000_060_000))],
  ['TaskProgress', () => new TaskProgressT('task-9', 'agent-1', 0.5, 'three found')],
  ['TaskCompleted', () => new TaskCompletedT('task-9', 'agent-1', true, 'done', 1234.5)],
  ['CollaborationRequest', () => new CollaborationRequestT('agent-1', ['agent-2', 'agent-3'], 'task-9', 'help?')],
  ['KnowledgeShare', () => new KnowledgeShareT('agent-1', 'hlc', 'monotone clocks', [1, 2, MAX_U32])],
  ['AgentError', () => new AgentErrorT('agent-1', 'task-9', 'rate limited', true)],
  ['SsspRequest', () => new SsspRequestT(MAX_U32, 100, [1, 7, MAX_U32])],
  ['SsspResult', () => new SsspResultT(1, [1, 2, 3], [0, 1.5, 3], [1, 1, 2], false)],
  ['VoiceFrame', () => new VoiceFrameT(3, 77, AudioCodec.Opus, 48000, 2, [1, 2, 3, 250], true)],
  ['ClusterJoin', () => new ClusterJoinT(2, '10.0.0.2:7400')],
  ['ClusterLeave', () => new ClusterLeaveT(2)],
  ['ClusterHeartbeat', () => new ClusterHeartbeatT(2, 0.5, [0, 1, 2])],
  ['ShardLease', () => new ShardLeaseT(12, 2, BigInt(8), BigInt(1_700_000_030_000))],
  ['ClusterForward', () => new ClusterForwardT([1, 2, 3, 4])],
  ['PositionIdTable', () => new PositionIdTableT(3, [10, 20, MAX_U32], [NodeKind.Knowledge, NodeKind.Agent, NodeKind.Task])],
  ['KeyframeRequest', () => new KeyframeRequestT(1000, 3)],
  ['Ack', () => new AckT(BigInt(Number.MAX_SAFE_INTEGER))],
  ['NodeDrag', () => new NodeDragT(MAX_U32, new Vec3T(1.5, -2.25, 1024), false)],
  // Variants of the above with the newer optional fields at their defaults.
  ['Handshake fresh session', () => new HandshakeT('secret-token', ClientKind.Browser, BigInt(0), null, null)],
  ['Subscribe without a filter', () => new SubscribeT(Topic.Graph)],
  ['Subscribe with kinds only', () => new SubscribeT(Topic.Positions, false, 0, new PositionFilterT([NodeKind.Knowledge]))],
  ['SettingsSet unconditional', () => new SettingsSetT('ui.theme', SettingValue.StringValue, new StringValueT('dark'))],
  ['NodeDrag release (no position)', () => new NodeDragT(7, null, true)],
  [
    'SettingsSet if_version 0 (still at its default)',
    () => new SettingsSetT('ui.theme', SettingValue.BoolValue, new BoolValueT(false), BigInt(0)),
  ],
];
