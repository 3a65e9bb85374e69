// One worker process of the BullMQ half of `npm run bench -- agents`, forked by bench/agents-bullmq.ts:
// a BullMQ Worker on the named queue that does no work (every job completes at once, its result
// stored as BullMQ stores any). Tells its parent {ready} once connected; stops on SIGTERM or when
// the parent goes away.
import { Worker } from 'bullmq';

export interface BullmqLoadArgs {
  readonly queue: string;
  readonly host: string;
  readonly port: number;
  readonly concurrency: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as BullmqLoadArgs;
const worker = new Worker(args.queue, async () => 'done', {
  connection: { host: args.host, port: args.port, maxRetriesPerRequest: null },
  concurrency: args.concurrency,
});

async function stop(): Promise<void> {
  await worker.close();
  process.exit(0);
}

process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
worker.on('error', (error) => console.error(`bullmq worker ${process.pid}: ${String(error)}`));
await worker.waitUntilReady();
process.send?.({ ready: true });
