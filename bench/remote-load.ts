// The far process of `npm run bench -- remote`, forked by bench/remote.ts, one mode per run:
//  - 'ours':    an actor system on the remote transport: /app/counter counts numbered beats per
//               sender and checks their order, answering an `expect` task once it has them all;
//               /app/worker answers tasks (the ask round trip).
//  - 'floor':   a bare `ws` server that reads each frame's first seq and envelope count (no
//               verification, no decoding, no delivery), checks the seqs follow on, acknowledges
//               every frame with 8 bytes, and answers an ask frame with a reply frame built once.
//  - 'dialers': K actor systems in this process, each dialing the parent's system and asking it
//               once, then idle: the parent measures its memory per idle association.
//  - 'sockets': K bare `ws` connections to the parent's bare server, idle: the same for raw ws.
// Talks to its parent over IPC: {ready, url} once listening (or connected), then {done} for 'dialers'.
import { ByteBuffer } from 'flatbuffers';
import WebSocket, { WebSocketServer } from 'ws';
import { Envelope } from '../src/protocol/generated/vf/envelope.ts';
import { Payload } from '../src/protocol/generated/vf/payload.ts';
import { RemoteFrame } from '../src/protocol/generated/vf/remote-frame.ts';
import type { ActorFactory } from '../src/runtime/actor.ts';
import type { Ref } from '../src/runtime/ref.ts';
import { CodecRegistry } from '../src/runtime/remote/codec-registry.ts';
import { RemoteTransport } from '../src/runtime/remote/remote-transport.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { worker, workerCodecs, type Done, type Task, type WorkerMessage } from '../test/fixtures/remote-worker.ts';

export interface LoadArgs {
  readonly mode: 'ours' | 'floor' | 'dialers' | 'sockets';
  readonly secret: string;
  /** 'floor': the reply frame to send for an ask frame. */
  readonly replyFrame?: number[];
  /** 'dialers', 'sockets': where to connect, and how many. */
  readonly url?: string;
  readonly count?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
const send = (m: object): void => void process.send?.(m);
process.on('disconnect', () => process.exit(0));

/** Counts beats per sender; an `expect:<from>:<n>` task is answered once <from> reached n. */
function counter(): ActorFactory<WorkerMessage> {
  const last = new Map<string, number>();
  const counts = new Map<string, number>();
  const outOfOrder = new Map<string, number>();
  const waiting = new Map<string, { n: number; replyTo: Ref<Done> }>();
  const answer = (from: string): void => {
    const w = waiting.get(from);
    if (w === undefined || (counts.get(from) ?? 0) < w.n) return;
    waiting.delete(from);
    w.replyTo.tell({
      kind: 'done',
      id: from,
      ok: true,
      result: JSON.stringify({ count: counts.get(from) ?? 0, outOfOrder: outOfOrder.get(from) ?? 0 }),
    });
  };
  return () => ({
    receive(m) {
      if (m.kind === 'beat') {
        const previous = last.get(m.from) ?? 0;
        if (m.n !== previous + 1) outOfOrder.set(m.from, (outOfOrder.get(m.from) ?? 0) + 1);
        last.set(m.from, m.n);
        const c = (counts.get(m.from) ?? 0) + 1;
        counts.set(m.from, c);
        if (waiting.size > 0) answer(m.from);
      } else if (m.kind === 'task') {
        const [, from, n] = m.text.split(':');
        waiting.set(from!, { n: Number(n), replyTo: m.replyTo });
        answer(from!);
      }
    },
  });
}

async function ours(): Promise<void> {
  const system = new ActorSystem({ name: 'bench-b' });
  system.spawn(counter(), { name: 'counter', mailbox: { capacity: 1_000_000, overflow: 'reject' } });
  system.spawn(worker, { name: 'worker', mailbox: { capacity: 100_000, overflow: 'reject' } });
  const transport = await RemoteTransport.start(system, {
    listen: {},
    codecs: new CodecRegistry(workerCodecs),
    clusterSecret: Buffer.from(args.secret, 'hex'),
  });
  send({ ready: true, url: transport.url });
}

async function floor(): Promise<void> {
  const reply = Buffer.from(args.replyFrame ?? []);
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 64 << 20 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => {
    let next = 1;
    let outOfOrder = 0;
    const ack = Buffer.alloc(8);
    const env = new Envelope();
    ws.on('message', (data: Buffer) => {
      const frame = RemoteFrame.getRootAsRemoteFrame(new ByteBuffer(data));
      const n = frame.envelopesLength();
      if (n === 1 && frame.envelopes(0, env)!.payloadType() === Payload.TaskAssigned) {
        ws.send(reply);
        return;
      }
      const first = Number(frame.firstSeq());
      if (first !== next) outOfOrder++;
      next = first + n;
      ack.writeUInt32LE(next - 1, 0);
      ack.writeUInt32LE(outOfOrder, 4);
      ws.send(ack);
    });
  });
  const address = server.address() as { port: number };
  send({ ready: true, url: `ws://127.0.0.1:${address.port}` });
}

async function dialers(): Promise<void> {
  const systems: ActorSystem[] = [];
  for (let i = 0; i < (args.count ?? 0); i++) {
    const system = new ActorSystem({ name: `dialer-${i}` });
    await RemoteTransport.start(system, {
      peers: { 'bench-a': args.url! },
      codecs: new CodecRegistry(workerCodecs),
      clusterSecret: Buffer.from(args.secret, 'hex'),
    });
    await system.ask<Task, Done>(
      system.resolve<Task>('vf://bench-a/worker')!,
      (replyTo) => ({ kind: 'task', id: 'hi', text: 'hi', replyTo }),
      30_000,
    );
    systems.push(system);
  }
  send({ ready: true, count: systems.length });
}

async function sockets(): Promise<void> {
  const open: WebSocket[] = [];
  for (let i = 0; i < (args.count ?? 0); i++) {
    const ws = new WebSocket(args.url!, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(Buffer.from('hi'));
    open.push(ws);
  }
  send({ ready: true, count: open.length });
}

switch (args.mode) {
  case 'ours':
    await ours();
    break;
  case 'floor':
    await floor();
    break;
  case 'dialers':
    await dialers();
    break;
  case 'sockets':
    await sockets();
    break;
}
