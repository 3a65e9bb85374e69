// `npm run bench -- remote-cpu [--quick]`: CPU time per message of the remote transport's two hot
// paths, in one process and without a socket, so that the figure holds on a machine shared with
// other work (wall-clock throughput does not): the outbound path, as FrameWriter runs it for each
// message (codec lookup, encoding into the batch, the frame finished every batchMessages) and as
// a tell runs it whole (ref, system, association, batch, frame, handed to a stand-in socket that
// takes the bytes and whose peer acknowledges every 10,000), and the
// inbound path as Association.receive runs it for each frame (verification, the envelope checks,
// decoding and delivery into a local actor's mailbox; the actor's own handling is timed apart).
// Messages are the `remote` suite's beats (AgentHeartbeat, a 32-byte sender id and a counter),
// batched as the transport batches them. Each figure is the best of R rounds of CPU time
// (process.cpuUsage, user and system) over N messages.
import { loadavg } from 'node:os';
import { controlFrame } from '../src/protocol/remote/frame-builder.ts';
import { Association, type AssociationHost } from '../src/runtime/remote/association.ts';
import { CodecRegistry } from '../src/runtime/remote/codec-registry.ts';
import { FrameWriter } from '../src/runtime/remote/frame-writer.ts';
import type { PeerSocket } from '../src/runtime/remote/peer-socket.ts';
import { remoteLimits } from '../src/runtime/remote/remote-limits.ts';
import { ActorSystem } from '../src/runtime/system.ts';
import { workerCodecs, type WorkerMessage } from '../test/fixtures/remote-worker.ts';
import { figure, progress, report } from './report.ts';
import type { BenchOptions } from './run.ts';

const SUITE = 'remote-cpu';
const FROM = 'bench-a/stream/0123456789abcdef0';
const RECIPIENT = 'vf://bench-b/counter';

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Encodes `n` beats as Association.send does and returns the finished frames. */
function encode(n: number, batch: number, firstSeq: number): { frames: Uint8Array[]; ns: number } {
  const codecs = new CodecRegistry(workerCodecs);
  const refs = { pathOf: () => '' };
  const writer = new FrameWriter(1024);
  const frames: Uint8Array[] = [];
  const t = cpuNow();
  let seq = firstSeq;
  for (let i = 1; i <= n; i++) {
    const message = { kind: 'beat', from: FROM, n: i };
    writer.add(seq++, RECIPIENT, undefined, 0, codecs.forMessage(message), message, refs, undefined, undefined);
    if (writer.count >= batch) frames.push(writer.finish(seq - 1, undefined).bytes);
  }
  if (writer.count > 0) frames.push(writer.finish(seq - 1, undefined).bytes);
  return { frames, ns: (cpuNow() - t) / n };
}

function association(system: ActorSystem, peer: string): Association {
  const host: AssociationHost = {
    system,
    clock: system.clock,
    limits: remoteLimits(),
    codecs: new CodecRegistry(workerCodecs),
    clientRecipients: [],
    publish: () => undefined,
    quarantine: () => undefined,
    isQuarantined: () => false,
    dial: () => false,
    watchedBy: () => undefined,
    idle: () => undefined,
  };
  return new Association(peer, host, undefined);
}

function inbound(system: ActorSystem): Association {
  const a = association(system, 'bench-a');
  a.remoteIncarnation = 1;
  return a;
}

/** Tells through a RemoteRef of a system whose association to bench-b has a stand-in socket. */
async function tells(n: number, rounds: number): Promise<number> {
  const system = new ActorSystem({ name: 'bench-a' });
  const a = association(system, 'bench-b');
  system.addTransport(a);
  let bytes = 0;
  const socket = {
    direction: 'dialed',
    remote: 'stand-in',
    buffered: 0,
    isOpen: true,
    closedWith: undefined,
    owner: a,
    send: (b: Uint8Array, written: (() => void) | undefined) => {
      bytes += b.byteLength;
      written?.();
    },
    close: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    terminate: () => undefined,
  } as unknown as PeerSocket;
  a.attach(socket, 1, 'node', 0);
  const ref = system.resolve<WorkerMessage>(RECIPIENT)!;
  let best = Infinity;
  let told = 0;
  for (let r = 0; r < rounds; r++) {
    const t = cpuNow();
    for (let i = 1; i <= n; i++) {
      ref.tell({ kind: 'beat', from: FROM, n: ++told });
      if (i % 10_000 === 0) {
        await Promise.resolve(); // the batch is finished at the end of the turn (a microtask)
        a.receive(controlFrame(told, undefined));
      }
    }
    await Promise.resolve();
    a.receive(controlFrame(told, undefined));
    best = Math.min(best, (cpuNow() - t) / n);
  }
  if (bytes === 0 || a.queueDepth.messages !== 0) throw new Error(`stand-in socket: ${bytes} bytes, ${a.queueDepth.messages} left queued`);
  a.shutdown();
  await system.terminate();
  return best;
}

export async function run(opts: BenchOptions): Promise<void> {
  const n = opts.quick ? 100_000 : 500_000;
  const rounds = opts.quick ? 3 : 7;
  const batch = remoteLimits().batchMessages;
  progress(
    `remote-cpu: ${n.toLocaleString('en-US')} beats a round, best of ${rounds}, ${batch} a frame; load average ${loadavg()[0]!.toFixed(2)}`,
  );

  let bestEncode = Infinity;
  let frames: Uint8Array[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const out = encode(n, batch, 1);
    bestEncode = Math.min(bestEncode, out.ns);
    frames = out.frames;
  }
  for (const f of frames) bytes += f.byteLength;
  progress(`encode: ${bestEncode.toFixed(1)} ns a message (${(bytes / n).toFixed(1)} bytes a message, ${frames.length} frames)`);
  const bestTell = await tells(n, rounds);
  progress(`tell (ref to socket): ${bestTell.toFixed(1)} ns a message`);

  const system = new ActorSystem({ name: 'bench-b' });
  let counted = 0;
  system.spawn<WorkerMessage>(() => ({ receive: (m) => void (m.kind === 'beat' && counted++) }), {
    name: 'counter',
    mailbox: { capacity: 2 * n, overflow: 'reject' },
  });
  let bestReceive = Infinity;
  let bestHandle = Infinity;
  let seq = 0;
  for (let r = 0; r < rounds; r++) {
    // A fresh association a round (seqs start at 1 again), frames numbered from 1.
    const association = inbound(system);
    const { frames: numbered } = encode(n, batch, seq + 1);
    seq = 0;
    counted = 0;
    const t = cpuNow();
    for (const f of numbered) {
      const refused = association.receive(f);
      if (refused !== undefined) throw new Error(`refused: ${refused.reason}`);
    }
    const received = cpuNow();
    while (counted < n) await nextMacrotask();
    const handled = cpuNow();
    bestReceive = Math.min(bestReceive, (received - t) / n);
    bestHandle = Math.min(bestHandle, (handled - received) / n);
  }
  progress(
    `receive (verify, check, decode, deliver): ${bestReceive.toFixed(1)} ns a message; the actor's handling after: ${bestHandle.toFixed(1)} ns`,
  );
  await system.terminate();
  report(
    `remote-cpu: CPU time a message, one process, no socket (${n.toLocaleString('en-US')} beats a round, best of ${rounds}; Node ${process.version})`,
    [
      figure(SUITE, 'encode CPU per message', bestEncode, 'ns'),
      figure(SUITE, 'tell CPU per message', bestTell, 'ns'),
      figure(SUITE, 'receive CPU per message', bestReceive, 'ns'),
      figure(SUITE, 'mailbox handling CPU per message', bestHandle, 'ns'),
      figure(SUITE, 'bytes per message', bytes / n, 'bytes'),
    ],
  );
}
