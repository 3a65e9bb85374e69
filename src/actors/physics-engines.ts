// The physics engines the physics actor may run, in the order it tries them: CUDA first when a GPU
// answers, the worker-thread CPU engine always last; the physics actor's supervision moves from one
// to the next (engine-selector.ts, and the tree's physicsSupervision in src/supervisors/app-tree.ts).
import { availableParallelism } from 'node:os';
import { probeCuda } from '../gpu/cuda-driver.ts';
import { CudaPhysicsEngine, type CudaEngineOptions } from '../gpu/physics-engine.ts';
import { SerialEngine } from '../physics/cpu/serial-engine.ts';
import { WorkerEngine } from '../physics/cpu/worker-engine.ts';
import type { EngineCandidate } from '../physics/engine-selector.ts';

/** 'auto': CUDA when a GPU is present, then the CPU workers; 'cuda': try CUDA regardless. */
export type EngineChoice = 'auto' | 'cuda' | 'cpu' | 'serial';

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
