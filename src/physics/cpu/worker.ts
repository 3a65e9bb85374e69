// A layout worker thread: holds the shared step arrays it was bound to and runs its part of each
// step (src/physics/cpu/step.ts) when told, answering 'done' or 'error'.
import { parentPort } from 'node:worker_threads';
import { InteractionList } from './repulsion.ts';
import { barrierFor, runStep, type StepShared } from './step.ts';

export type WorkerRequest =
  | { readonly type: 'bind'; readonly shared: StepShared; readonly index: number; readonly count: number }
  | { readonly type: 'step'; readonly seq: number };

export type WorkerReply =
  { readonly type: 'done'; readonly seq: number } | { readonly type: 'error'; readonly seq: number; readonly message: string };

const port = parentPort;
if (port === null) throw new Error('worker.ts runs in a worker thread');

let shared: StepShared | undefined;
let index = 0;
let count = 1;
let barrier: () => void = () => undefined;
const list = new InteractionList();

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'bind') {
    shared = m.shared;
    index = m.index;
    count = m.count;
    barrier = barrierFor(shared.ctl, count);
    return;
  }
  try {
    if (shared === undefined) throw new Error('step before bind');
    runStep(shared, index, count, barrier, list);
    port.postMessage({ type: 'done', seq: m.seq } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({
      type: 'error',
      seq: m.seq,
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies WorkerReply);
  }
});
