// Maps an object-API payload to its union tag, so callers hand over a payload and nothing else.
import type { EnvelopeT } from '../generated/vf/envelope.ts';
import { Payload } from '../generated/vf/payload.ts';
import { AckT } from '../generated/vf/ack.ts';
import { AgentErrorT } from '../generated/vf/agent-error.ts';
import { AgentHeartbeatT } from '../generated/vf/agent-heartbeat.ts';
import { AgentRegisterT } from '../generated/vf/agent-register.ts';
import { AgentRegisteredT } from '../generated/vf/agent-registered.ts';
import { ClusterForwardT } from '../generated/vf/cluster-forward.ts';
import { ClusterHeartbeatT } from '../generated/vf/cluster-heartbeat.ts';
import { ClusterJoinT } from '../generated/vf/cluster-join.ts';
import { ClusterLeaveT } from '../generated/vf/cluster-leave.ts';
import { CollaborationRequestT } from '../generated/vf/collaboration-request.ts';
import { ErrorReplyT } from '../generated/vf/error-reply.ts';
import { GraphBatchT } from '../generated/vf/graph-batch.ts';
import { GraphUpdateT } from '../generated/vf/graph-update.ts';
import { HandshakeT } from '../generated/vf/handshake.ts';
import { HandshakeAcceptedT } from '../generated/vf/handshake-accepted.ts';
import { KeyframeRequestT } from '../generated/vf/keyframe-request.ts';
import { KnowledgeShareT } from '../generated/vf/knowledge-share.ts';
import { NodeDragT } from '../generated/vf/node-drag.ts';
import { PositionIdTableT } from '../generated/vf/position-id-table.ts';
import { SettingsBatchT } from '../generated/vf/settings-batch.ts';
import { SettingsDeltaT } from '../generated/vf/settings-delta.ts';
import { SettingsGetT } from '../generated/vf/settings-get.ts';
import { SettingsSetT } from '../generated/vf/settings-set.ts';
import { ShardLeaseT } from '../generated/vf/shard-lease.ts';
import { SsspRequestT } from '../generated/vf/sssp-request.ts';
import { SsspResultT } from '../generated/vf/sssp-result.ts';
import { SubscribeT } from '../generated/vf/subscribe.ts';
import { TaskAssignedT } from '../generated/vf/task-assigned.ts';
import { TaskCancelT } from '../generated/vf/task-cancel.ts';
import { TaskCompletedT } from '../generated/vf/task-completed.ts';
import { TaskProgressT } from '../generated/vf/task-progress.ts';
import { TaskStatusT } from '../generated/vf/task-status.ts';
import { TaskSubmitT } from '../generated/vf/task-submit.ts';
import { UnsubscribeT } from '../generated/vf/unsubscribe.ts';
import { VoiceFrameT } from '../generated/vf/voice-frame.ts';

/** Any payload of the envelope's union, in object-API form. */
export type PayloadT = NonNullable<EnvelopeT['payload']>;

const tags = new Map<unknown, Payload>([
  [HandshakeT, Payload.Handshake],
  [HandshakeAcceptedT, Payload.HandshakeAccepted],
  [SubscribeT, Payload.Subscribe],
  [UnsubscribeT, Payload.Unsubscribe],
  [ErrorReplyT, Payload.ErrorReply],
  [GraphUpdateT, Payload.GraphUpdate],
  [GraphBatchT, Payload.GraphBatch],
  [SettingsGetT, Payload.SettingsGet],
  [SettingsSetT, Payload.SettingsSet],
  [SettingsBatchT, Payload.SettingsBatch],
  [SettingsDeltaT, Payload.SettingsDelta],
  [AgentRegisterT, Payload.AgentRegister],
  [AgentHeartbeatT, Payload.AgentHeartbeat],
  [TaskAssignedT, Payload.TaskAssigned],
  [TaskProgressT, Payload.TaskProgress],
  [TaskCompletedT, Payload.TaskCompleted],
  [CollaborationRequestT, Payload.CollaborationRequest],
  [KnowledgeShareT, Payload.KnowledgeShare],
  [AgentErrorT, Payload.AgentError],
  [SsspRequestT, Payload.SsspRequest],
  [SsspResultT, Payload.SsspResult],
  [VoiceFrameT, Payload.VoiceFrame],
  [ClusterJoinT, Payload.ClusterJoin],
  [ClusterLeaveT, Payload.ClusterLeave],
  [ClusterHeartbeatT, Payload.ClusterHeartbeat],
  [ShardLeaseT, Payload.ShardLease],
  [ClusterForwardT, Payload.ClusterForward],
  [PositionIdTableT, Payload.PositionIdTable],
  [KeyframeRequestT, Payload.KeyframeRequest],
  [AckT, Payload.Ack],
  [NodeDragT, Payload.NodeDrag],
  [AgentRegisteredT, Payload.AgentRegistered],
  [TaskCancelT, Payload.TaskCancel],
  [TaskSubmitT, Payload.TaskSubmit],
  [TaskStatusT, Payload.TaskStatus],
]);

export function payloadTypeOf(payload: PayloadT): Payload {
  const tag = tags.get(payload.constructor);
  if (tag === undefined) throw new TypeError(`not a payload: ${payload.constructor.name}`);
  return tag;
}
