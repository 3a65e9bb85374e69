// The sender's shortcuts write exactly what flatbuffers' generated code writes: 64-bit fields from
// Numbers, the batch builder's endObject, and whole frames from FrameWriter against a reference
// built only from the generated code and a plain Builder (BigInt, createString, createSharedString).
import test from 'ava';
import { Builder } from 'flatbuffers';
import { AgentHeartbeat } from '../../../src/protocol/generated/vf/agent-heartbeat.ts';
import { CollaborationRequest } from '../../../src/protocol/generated/vf/collaboration-request.ts';
import { Envelope } from '../../../src/protocol/generated/vf/envelope.ts';
import { Payload } from '../../../src/protocol/generated/vf/payload.ts';
import { RemoteFrame } from '../../../src/protocol/generated/vf/remote-frame.ts';
import { TaskAssigned } from '../../../src/protocol/generated/vf/task-assigned.ts';
import { TaskCompleted } from '../../../src/protocol/generated/vf/task-completed.ts';
import { FRAME_IDENTIFIER, readFrame } from '../../../src/protocol/remote/frame-reader.ts';
import { BatchBuilder } from '../../../src/runtime/remote/batch-builder.ts';
import { CodecRegistry } from '../../../src/runtime/remote/codec-registry.ts';
import { addFieldInt64, readFieldInt64 } from '../../../src/runtime/remote/codec-numbers.ts';
import { FrameWriter } from '../../../src/runtime/remote/frame-writer.ts';
import { workerCodecs, type Beat } from '../../fixtures/remote-worker.ts';

const VALUES = [
  0,
  1,
  -1,
  7,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 1,
  123_456_789_012,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  -(2 ** 32),
  -(2 ** 31) - 1,
];

test('addFieldInt64 writes what the generated addXxx writes for BigInt(value); readFieldInt64 reads it back', (t) => {
  for (const value of VALUES) {
    for (const other of [0, 3]) {
      const a = new Builder(8);
      const b = new Builder(8);
      const idA = a.createString('agent');
      const idB = b.createString('agent');
      AgentHeartbeat.startAgentHeartbeat(a);
      AgentHeartbeat.addAgentId(a, idA);
      AgentHeartbeat.addActiveTasks(a, other);
      AgentHeartbeat.addMemoryBytes(a, BigInt(other));
      AgentHeartbeat.addTokenUsage(a, BigInt(value));
      a.finish(AgentHeartbeat.endAgentHeartbeat(a));
      AgentHeartbeat.startAgentHeartbeat(b);
      AgentHeartbeat.addAgentId(b, idB);
      AgentHeartbeat.addActiveTasks(b, other);
      addFieldInt64(b, 2, other); // memory_bytes
      addFieldInt64(b, 5, value); // token_usage
      b.finish(AgentHeartbeat.endAgentHeartbeat(b));
      t.deepEqual(b.asUint8Array(), a.asUint8Array(), `${value}, ${other}`);
      const read = AgentHeartbeat.getRootAsAgentHeartbeat(b.dataBuffer());
      t.is(readFieldInt64(read, 5), value);
      t.is(readFieldInt64(read, 5), Number(BigInt.asIntN(64, read.tokenUsage())));
      t.is(readFieldInt64(read, 2), other);
      t.is(readFieldInt64(read, 1, 42), 42, 'an absent field reads as its default');
    }
  }
  const b = new Builder(8);
  AgentHeartbeat.startAgentHeartbeat(b);
  for (const bad of [2 ** 53, 0.5, Number.NaN, Infinity]) t.throws(() => addFieldInt64(b, 5, bad), { instanceOf: RangeError });
});

/** Tables of several shapes (vtables shared and not), strings, vectors: into any builder. */
function mixedTables(b: Builder): number {
  const offsets: number[] = [];
  for (let i = 0; i < 40; i++) {
    const id = b.createSharedString(`agent-${i % 3}`);
    if (i % 4 === 0) {
      AgentHeartbeat.startAgentHeartbeat(b);
      AgentHeartbeat.addAgentId(b, id);
      AgentHeartbeat.addTokenUsage(b, BigInt(i));
      offsets.push(AgentHeartbeat.endAgentHeartbeat(b));
    } else if (i % 4 === 1) {
      const text = b.createString(`text ${i}`);
      offsets.push(TaskAssigned.createTaskAssigned(b, id, id, 0, text, i % 2, BigInt(i * 1000), 0, 0, 0));
    } else if (i % 4 === 2) {
      offsets.push(TaskCompleted.createTaskCompleted(b, id, id, i % 3 === 0, b.createString('r'.repeat(i)), i, 0));
    } else {
      const peers = CollaborationRequest.createToAgentsVector(b, [id, b.createString(`p${i}`)]);
      offsets.push(CollaborationRequest.createCollaborationRequest(b, id, peers, 0, 0));
    }
    const recipient = b.createSharedString(`vf://b/app/${i % 5}`);
    Envelope.startEnvelope(b);
    if (i % 6 === 0) Envelope.addCorrelationId(b, BigInt(i));
    Envelope.addRecipient(b, recipient);
    Envelope.addPayloadType(b, [Payload.AgentHeartbeat, Payload.TaskAssigned, Payload.TaskCompleted, Payload.CollaborationRequest][i % 4]!);
    Envelope.addPayload(b, offsets.pop()!);
    offsets.push(Envelope.endEnvelope(b));
  }
  const envelopes = RemoteFrame.createEnvelopesVector(b, offsets);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addEnvelopes(b, envelopes);
  return RemoteFrame.endRemoteFrame(b);
}

test('the batch builder writes what a plain Builder writes, vtables shared alike, growing from any size', (t) => {
  for (const size of [1, 8, 100, 4096]) {
    const a = new Builder(size);
    const b = new BatchBuilder(size);
    a.finish(mixedTables(a), FRAME_IDENTIFIER);
    b.finish(mixedTables(b), FRAME_IDENTIFIER);
    t.deepEqual(b.asUint8Array(), a.asUint8Array(), `initial size ${size}`);
  }
});

interface Told {
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly correlationId: number;
  readonly message: { readonly kind: string };
}

/** The frame FrameWriter should write, from the generated code alone. */
function referenceFrame(told: readonly Told[], ack: number, firstSeq: number, codecs: CodecRegistry): Uint8Array {
  const b = new Builder(1024);
  const refs = { pathOf: (r: { path?: string }) => r.path ?? '' };
  const offsets = told.map((m) => {
    const codec = codecs.forMessage(m.message);
    const payload = codec.encode(b, m.message, refs as never);
    const recipient = b.createSharedString(m.recipient);
    const sender = m.sender === undefined ? 0 : b.createSharedString(m.sender);
    Envelope.startEnvelope(b);
    if (m.correlationId !== 0) Envelope.addCorrelationId(b, BigInt(m.correlationId));
    if (sender !== 0) Envelope.addSender(b, sender);
    Envelope.addRecipient(b, recipient);
    Envelope.addPayloadType(b, codec.payload);
    Envelope.addPayload(b, payload);
    return Envelope.endEnvelope(b);
  });
  const envelopes = RemoteFrame.createEnvelopesVector(b, offsets);
  RemoteFrame.startRemoteFrame(b);
  if (ack !== 0) RemoteFrame.addAck(b, BigInt(ack));
  RemoteFrame.addFirstSeq(b, BigInt(firstSeq));
  RemoteFrame.addEnvelopes(b, envelopes);
  b.finish(RemoteFrame.endRemoteFrame(b), FRAME_IDENTIFIER);
  return b.asUint8Array().slice();
}

test('FrameWriter writes, batch after batch, the frames the generated code writes', (t) => {
  const codecs = new CodecRegistry(workerCodecs);
  const refs = { pathOf: (r: { path?: string }) => r.path ?? '' };
  const writer = new FrameWriter(64);
  let seq = 1;
  for (let batch = 0; batch < 4; batch++) {
    const told: Told[] = [];
    for (let i = 0; i < 50 + batch * 37; i++) {
      const k = (i * 7 + batch) % 5;
      const message =
        k === 0
          ? { kind: 'task', id: `t${i}`, text: 'ü'.repeat(i % 3), replyTo: { path: `vf://a/temp/${i}` } }
          : k === 1
            ? { kind: 'done', id: `d${i}`, ok: i % 2 === 0, result: 'x'.repeat(i) }
            : k === 2
              ? { kind: 'introduce', peers: [{ path: 'vf://c/app/p' }, { path: `vf://a/app/${i}` }], note: 'n' }
              : ({ kind: 'beat', from: `agent-${i % 4}`, n: seq * 2 ** 20 + i } satisfies Beat);
      told.push({
        recipient: `vf://b/app/${i % 3}`,
        sender: i % 4 === 0 ? `vf://a/app/s${i % 2}` : undefined,
        correlationId: k === 0 ? 2 ** 33 + i : 0,
        message,
      });
    }
    const first = seq;
    for (const m of told)
      writer.add(
        seq++,
        m.recipient,
        m.sender,
        m.correlationId,
        codecs.forMessage(m.message),
        m.message,
        refs as never,
        undefined,
        undefined,
      );
    const ack = batch * 1_000_003;
    const sent = writer.finish(ack, undefined);
    t.deepEqual(sent.bytes, referenceFrame(told, ack, first, codecs), `batch ${batch}`);
    const read = readFrame(sent.bytes, 1 << 20);
    t.true(read.ok, read.ok ? '' : read.error.message);
  }
});

test('a frame read through FrameBuffer gives every string as TextDecoder does, repeated or not', (t) => {
  const strings = [
    'agent-1',
    'agent-2',
    'agent-1',
    'ünïcode',
    'ünïcodf',
    '',
    'x'.repeat(256),
    'x'.repeat(255) + 'y',
    'x'.repeat(256),
    'agent-1',
    'a'.repeat(9),
    'b'.repeat(9),
    'a'.repeat(9),
  ];
  const b = new Builder(64);
  const offsets = strings.map((s, i) => {
    const id = b.createString(s);
    AgentHeartbeat.startAgentHeartbeat(b);
    AgentHeartbeat.addAgentId(b, id);
    AgentHeartbeat.addTokenUsage(b, BigInt(i));
    const payload = AgentHeartbeat.endAgentHeartbeat(b);
    const recipient = b.createSharedString('vf://b/app/x');
    Envelope.startEnvelope(b);
    Envelope.addRecipient(b, recipient);
    Envelope.addPayloadType(b, Payload.AgentHeartbeat);
    Envelope.addPayload(b, payload);
    return Envelope.endEnvelope(b);
  });
  const envelopes = RemoteFrame.createEnvelopesVector(b, offsets);
  RemoteFrame.startRemoteFrame(b);
  RemoteFrame.addFirstSeq(b, 1n);
  RemoteFrame.addEnvelopes(b, envelopes);
  b.finish(RemoteFrame.endRemoteFrame(b), FRAME_IDENTIFIER);
  const read = readFrame(b.asUint8Array().slice(), 1 << 20);
  if (!read.ok) return t.fail(read.error.message);
  const env = new Envelope();
  const beat = new AgentHeartbeat();
  const got = strings.map((_, i) => (read.value.envelopes(i, env)!.payload(beat) as AgentHeartbeat).agentId());
  t.deepEqual(got, strings);
  t.is(read.value.envelopes(3, env)!.recipient(), 'vf://b/app/x');
});
