// The CPU engine on the calling thread: the reference the worker engine is tested against, and
// the engine for graphs too small to be worth a thread hop. It blocks while it runs.
import { writeGlobals, GLOBAL_FIELDS, type SimBuffers, type StepGlobals, type StepStats } from '../buffers.ts';
import type { PhysicsEngine } from '../engine.ts';
import { InteractionList } from './repulsion.ts';
import { allocStepShared, CTL_CHUNK, CTL_LOCAL_CHUNK, mergeStats, runStep, type StepShared } from './step.ts';

export class SerialEngine implements PhysicsEngine {
  readonly kind = 'cpu-serial';
  readonly description = 'CPU, 1 thread (serial)';
  private shared: StepShared | undefined;
  private readonly globals = new Float64Array(GLOBAL_FIELDS.length);
  private readonly list = new InteractionList();

  step(buffers: SimBuffers, globals: StepGlobals): Promise<StepStats> {
    return Promise.resolve(this.stepSync(buffers, globals));
  }

  stepSync(buffers: SimBuffers, globals: StepGlobals): StepStats {
    const t0 = performance.now();
    if (this.shared?.sim !== buffers) this.shared = allocStepShared(buffers, 1, this.globals);
    writeGlobals(this.globals, globals);
    this.shared.ctl[CTL_CHUNK] = 0;
    this.shared.ctl[CTL_LOCAL_CHUNK] = 0;
    runStep(this.shared, 0, 1, () => undefined, this.list);
    return { ...mergeStats(this.shared.stats, 1), ms: performance.now() - t0 };
  }

  dispose(): Promise<void> {
    this.shared = undefined;
    return Promise.resolve();
  }
}
