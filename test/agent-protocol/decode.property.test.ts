// Whatever a peer sends, once the verifier has accepted it the agent codecs decode it without
// throwing, into values inside the ranges messages.ts promises: tables built from arbitrary field
// values (out of range ones included: the verifier refuses those), and those tables' bytes with
// random corruption.
import test from 'ava';
import fc from 'fast-check';
import type { Builder } from 'flatbuffers';
import { agentCodecRegistry } from '../../src/agent-protocol/codecs.ts';
import { decodeEnvelope } from '../../src/protocol/envelope/codec.ts';
import { AgentErrorT } from '../../src/protocol/generated/vf/agent-error.ts';
import { AgentHeartbeatT } from '../../src/protocol/generated/vf/agent-heartbeat.ts';
import { AgentRegisterT } from '../../src/protocol/generated/vf/agent-register.ts';
import { AgentRegisteredT } from '../../src/protocol/generated/vf/agent-registered.ts';
import { CollaborationRequestT } from '../../src/protocol/generated/vf/collaboration-request.ts';
import { ErrorReplyT } from '../../src/protocol/generated/vf/error-reply.ts';
import { KnowledgeShareT } from '../../src/protocol/generated/vf/knowledge-share.ts';
import { Payload } from '../../src/protocol/generated/vf/payload.ts';
import { TaskAssignedT } from '../../src/protocol/generated/vf/task-assigned.ts';
import { TaskCancelT } from '../../src/protocol/generated/vf/task-cancel.ts';
import { TaskCompletedT } from '../../src/protocol/generated/vf/task-completed.ts';
import { TaskProgressT } from '../../src/protocol/generated/vf/task-progress.ts';
import { envelopeBytes, fakeRef, refReader, verifiedDecode } from './wire.ts';

const registry = agentCodecRegistry();

const str = fc.oneof(fc.constant(null), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 300 }));
const strs = fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 });
const u32 = fc.oneof(fc.constantFrom(0, 1, 1024, 1025, 0xffffffff), fc.nat());
const u64 = fc.oneof(fc.constantFrom(0n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const f32 = fc.oneof(fc.constantFrom(0, 1, -1, 0.5, 1e6, Number.NaN, Infinity), fc.float());
const f64 = fc.oneof(fc.constantFrom(0, -1, Number.NaN, Infinity), fc.double());

interface Packable {
  pack(b: Builder): number;
}

const tables: fc.Arbitrary<[Payload, Packable]> = fc.oneof(
  fc
    .tuple(str, str, str, strs, u32, str, u32)
    .map(([a, b, c, d, e, f, g]) => [Payload.AgentRegister, new AgentRegisterT(a, b, c, d, e, f, g)] as [Payload, Packable]),
  fc
    .tuple(
      str,
      str,
      u32,
      u32,
      fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('t:1', 'a:b:4294967295', 'x:4294967296')), { maxLength: 6 }),
    )
    .map(([a, b, c, d, e]) => [Payload.AgentRegistered, new AgentRegisteredT(a, b, c, d, e)] as [Payload, Packable]),
  fc
    .tuple(fc.integer({ min: 0, max: 12 }), str)
    .map(([code, message]) => [Payload.ErrorReply, new ErrorReplyT(code, message)] as [Payload, Packable]),
  fc
    .tuple(str, f32, u64, u32, f32, u64)
    .map(([a, b, c, d, e, f]) => [Payload.AgentHeartbeat, new AgentHeartbeatT(a, b, c, d, e, f)] as [Payload, Packable]),
  fc
    .tuple(str, str, str, str, fc.integer({ min: 0, max: 255 }), u64, u32, str, str)
    .map(([a, b, c, d, e, f, g, h, i]) => [Payload.TaskAssigned, new TaskAssignedT(a, b, c, d, e, f, g, h, i)] as [Payload, Packable]),
  fc
    .tuple(str, str, f32, str, u32)
    .map(([a, b, c, d, e]) => [Payload.TaskProgress, new TaskProgressT(a, b, c, d, e)] as [Payload, Packable]),
  fc
    .tuple(str, str, fc.boolean(), str, f64, u32)
    .map(([a, b, c, d, e, f]) => [Payload.TaskCompleted, new TaskCompletedT(a, b, c, d, e, f)] as [Payload, Packable]),
  fc
    .tuple(str, str, str, fc.boolean(), u32)
    .map(([a, b, c, d, e]) => [Payload.AgentError, new AgentErrorT(a, b, c, d, e)] as [Payload, Packable]),
  fc.tuple(str, u32, str).map(([a, b, c]) => [Payload.TaskCancel, new TaskCancelT(a, b, c)] as [Payload, Packable]),
  fc
    .tuple(str, strs, str, str)
    .map(([a, b, c, d]) => [Payload.CollaborationRequest, new CollaborationRequestT(a, b, c, d)] as [Payload, Packable]),
  fc
    .tuple(str, str, str, fc.array(u32, { maxLength: 8 }))
    .map(([a, b, c, d]) => [Payload.KnowledgeShare, new KnowledgeShareT(a, b, c, d)] as [Payload, Packable]),
);

const isU32 = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
const isU53 = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
const inUnit = (n: unknown): boolean => typeof n === 'number' && n >= 0 && n <= 1;

/** The table's envelope, or undefined when flatbuffers itself refuses to build it (a required field left out). */
function tryEnvelope(payload: Payload, table: Packable, sender: string | undefined): Uint8Array | undefined {
  try {
    return envelopeBytes(payload, (b) => table.pack(b), sender);
  } catch {
    return undefined;
  }
}

/** Why a decoded message is out of range, or undefined when it is in range. */
function outOfRange(m: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(m)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return `${key} is ${value}`;
    if (typeof value === 'string' && key !== 'kind' && Buffer.byteLength(value) > 1048576) return `${key} too long`;
  }
  const checks: Record<string, (v: unknown) => boolean> = {
    maxConcurrent: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1024,
    nodeId: isU32,
    heartbeatMs: isU32,
    attempt: isU32,
    activeTasks: isU32,
    priority: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255,
    memoryBytes: isU53,
    tokenUsage: isU53,
    deadlineMs: isU53,
    progress: inUnit,
    health: inUnit,
    cpuPercent: (v) => typeof v === 'number' && v >= 0 && v <= 100000,
    durationMs: (v) => typeof v === 'number' && v >= 0,
    code: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 8,
    nodeIds: (v) => Array.isArray(v) && v.every(isU32),
    holding: (v) =>
      Array.isArray(v) &&
      v.every((h: { taskId: unknown; attempt: unknown }) => typeof h.taskId === 'string' && h.taskId !== '' && isU32(h.attempt)),
    capabilities: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
    toAgents: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  };
  for (const [key, check] of Object.entries(checks)) if (key in m && !check(m[key])) return `${key} is ${JSON.stringify(m[key])}`;
  return undefined;
}

test('decoding any verified agent table never throws and stays in range', (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(tables, fc.boolean(), ([payload, table], withSender) => {
      const bytes = tryEnvelope(payload, table, withSender ? 'vf://peer/user/agent' : undefined);
      if (bytes === undefined) return true;
      const decoded = verifiedDecode(registry.forPayload(payload)!, bytes, withSender ? fakeRef('vf://peer/user/agent') : undefined);
      if (typeof decoded === 'string') return true;
      accepted++;
      const why = outOfRange(decoded as Record<string, unknown>);
      if (why !== undefined) throw new Error(why);
      return true;
    }),
    { numRuns: 2000 },
  );
  t.true(accepted > 200, `the verifier accepted ${accepted} tables: enough to mean something`);
});

test('corrupted bytes of agent tables never make a codec throw once verified', (t) => {
  fc.assert(
    fc.property(
      tables,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      ([payload, table], flips) => {
        const bytes = tryEnvelope(payload, table, 'vf://peer/user/agent');
        if (bytes === undefined) return true;
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        // A flip may change the payload type too: decode with the codec the verified envelope names.
        const env = decodeEnvelope(bytes);
        if (!env.ok) return true;
        const codec = registry.forPayload(env.value.payloadType());
        if (codec === undefined) return true;
        const why = outOfRange(codec.decode(env.value, refReader, undefined) as Record<string, unknown>);
        if (why !== undefined) throw new Error(why);
        return true;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});
