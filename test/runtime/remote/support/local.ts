// The test process's own actor system on the remote transport, the other end of the child peers:
// the same actors as a peer (worker, sink, collector), its dead letters and remote events recorded.
import type { ExecutionContext } from 'ava';
import type { ActorFactory } from '../../../../src/runtime/actor.ts';
import type { DeadLetter } from '../../../../src/runtime/dead-letter.ts';
import { CodecRegistry } from '../../../../src/runtime/remote/codec-registry.ts';
import type { RemoteEvent } from '../../../../src/runtime/remote/remote-events.ts';
import type { RemoteLimits } from '../../../../src/runtime/remote/remote-limits.ts';
import { RemoteTransport, type RemoteTransportOptions } from '../../../../src/runtime/remote/remote-transport.ts';
import { ActorSystem } from '../../../../src/runtime/system.ts';
import { sink, worker, workerCodecs, type Done } from '../../../fixtures/remote-worker.ts';
import { FAST_LIMITS, SECRET } from './peers.ts';

export interface Local {
  readonly system: ActorSystem;
  readonly transport: RemoteTransport;
  readonly deadLetters: DeadLetter[];
  readonly events: RemoteEvent[];
  readonly collected: Done[];
  readonly sinkState: { counts: Map<string, number>; last: Map<string, number>; outOfOrder: string[] };
}

export async function startLocal(
  t: ExecutionContext,
  name: string,
  options: Partial<RemoteTransportOptions> & { limits?: Partial<RemoteLimits> } = {},
): Promise<Local> {
  const system = new ActorSystem({ name });
  const deadLetters: DeadLetter[] = [];
  system.events.subscribe((e) => {
    if (e.type === 'dead-letter') deadLetters.push(e.letter);
  });
  const collected: Done[] = [];
  const sinkState = { counts: new Map<string, number>(), last: new Map<string, number>(), outOfOrder: [] as string[] };
  const mailbox = { capacity: 100_000, overflow: 'reject' as const };
  const app: ActorFactory<never> = (ctx) => ({
    preStart() {
      ctx.spawn(worker, { name: 'worker', mailbox });
      ctx.spawn(sink(sinkState), { name: 'sink', mailbox });
      ctx.spawn<Done>(() => ({ receive: (m) => void collected.push(m) }), { name: 'collector', mailbox });
      ctx.spawn<never>((c) => ({ preStart: () => void c.spawn(worker, { name: 'worker', mailbox }), receive: () => undefined }), {
        name: 'agents',
      });
    },
    receive: () => undefined,
  });
  system.spawn(app, { name: 'app' });
  const transport = await RemoteTransport.start(system, {
    listen: {},
    codecs: new CodecRegistry(workerCodecs),
    clusterSecret: SECRET,
    ...options,
    limits: { ...FAST_LIMITS, ...options.limits },
  });
  const events: RemoteEvent[] = [];
  transport.events.subscribe((e) => events.push(e));
  t.teardown(async () => {
    await system.terminate();
  });
  return { system, transport, deadLetters, events, collected, sinkState };
}
