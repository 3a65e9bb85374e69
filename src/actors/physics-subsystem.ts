// The children of /app/compute that belong to physics, for the application tree:
//   startApp(system, { ..., children: { compute: computeSubsystem() } })
// gives /app/compute/physics (the physics actor) and /app/compute/physics/engine (its engine).
// The engine candidates are chosen here: CUDA first when a GPU answers, the worker-thread CPU
// engine always last; the physics actor's supervision moves from one to the next (engine-selector.ts).
import { availableParallelism } from 'node:os';
import { probeCuda } from '../gpu/cuda-driver.ts';
import { CudaPhysicsEngine, type CudaEngineOptions } from '../gpu/physics-engine.ts';
import { SerialEngine } from '../physics/cpu/serial-engine.ts';
import { WorkerEngine } from '../physics/cpu/worker-engine.ts';
import { EngineSelector, type EngineCandidate, type EngineSelectorOptions } from '../physics/engine-selector.ts';
import type { BackoffOptions } from '../shared/backoff.ts';
import { childSpec, type AnyChildSpec } from '../supervisors/child-spec.ts';
import { physicsActor, physicsSupervision, type PhysicsActorOptions } from './physics.ts';

export const PHYSICS_NAME = 'physics';
export const PHYSICS_PATH = '/app/compute/physics';

/** 'auto': CUDA when a GPU is present, then the CPU workers; 'cuda': try CUDA regardless. */
export type EngineChoice = 'auto' | 'cuda' | 'cpu' | 'serial';

export type PhysicsSubsystemOptions = Omit<PhysicsActorOptions, 'selector'> &
  EngineSelectorOptions & {
    /** Default 'auto', or a list of candidates (tests inject failing engines this way). */
    readonly engines?: EngineChoice | readonly EngineCandidate[];
    /** Worker threads of the CPU engine (default: every core). */
    readonly threads?: number;
    readonly cuda?: CudaEngineOptions;
    /** Restart backoff of the engine child. */
    readonly engineBackoff?: Partial<BackoffOptions>;
  };

export interface ComputeOptions {
  readonly physics?: PhysicsSubsystemOptions;
}

export const cpuCandidate = (threads = availableParallelism()): EngineCandidate => ({
  kind: 'cpu-workers',
  create: () => WorkerEngine.create(threads),
});

export const serialCandidate: EngineCandidate = { kind: 'cpu-serial', create: () => new SerialEngine() };

export const cudaCandidate = (options: CudaEngineOptions = {}): EngineCandidate => ({
  kind: 'cuda',
  create: () => CudaPhysicsEngine.create(options),
});

/** The candidates for a choice. 'auto' probes for a GPU: one failed dlopen where there is none. */
export function engineCandidates(choice: EngineChoice, options: { threads?: number; cuda?: CudaEngineOptions } = {}): EngineCandidate[] {
  switch (choice) {
    case 'serial':
      return [serialCandidate];
    case 'cpu':
      return [cpuCandidate(options.threads)];
    case 'cuda':
      return [cudaCandidate(options.cuda), cpuCandidate(options.threads)];
    case 'auto':
      return probeCuda(options.cuda?.libraryPath).available
        ? [cudaCandidate(options.cuda), cpuCandidate(options.threads)]
        : [cpuCandidate(options.threads)];
  }
}

/**
 * The physics actor's child spec. The selector lives here, outside the actor, so what it learned
 * (this GPU keeps failing) survives restarts of the actor itself.
 */
export function computeSubsystem(options: ComputeOptions = {}): AnyChildSpec[] {
  const o = options.physics ?? {};
  const engines = o.engines ?? 'auto';
  const candidates = typeof engines === 'string' ? engineCandidates(engines, o) : engines;
  const selector = new EngineSelector(candidates, o);
  return [
    childSpec(physicsActor({ ...o, selector }), {
      name: PHYSICS_NAME,
      mailbox: { capacity: 100_000, overflow: 'reject' },
      supervision: physicsSupervision(selector, o.engineBackoff),
    }),
  ];
}
