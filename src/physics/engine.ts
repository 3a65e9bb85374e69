// What the physics actor asks of an engine: run one step over the layout's arrays. The CPU engines
// (serial, worker threads) and the CUDA engine implement it with the same force model
// (src/physics/model.md in words; src/physics/cpu/*.ts and src/gpu/physics.cu in code).
import type { SimBuffers, StepGlobals, StepStats } from './buffers.ts';

export type EngineKind = 'cpu-serial' | 'cpu-workers' | 'cuda';

export interface PhysicsEngine {
  readonly kind: EngineKind;
  /** A line for stats and logs: threads, device name. */
  readonly description: string;
  /**
   * One step: reads the arrays in `buffers` (slots 0..n-1), writes new positions and velocities
   * into `buffers.pos` and `buffers.vel` by the time the promise resolves (the CUDA engine keeps
   * velocities on the device and writes them back every 32 steps only). The caller does not
   * touch the arrays in between. `structureVersion` / `positionsVersion` tell an engine with its
   * own copy of the data (the GPU) when the host changed what it holds.
   */
  step(buffers: SimBuffers, globals: StepGlobals, versions: EngineVersions): Promise<StepStats>;
  /** Releases threads or device memory; the engine is not used again. */
  dispose(): Promise<void>;
}

export interface EngineVersions {
  /** Layout.structureVersion: coefficients, springs, pins. */
  readonly structure: number;
  /** Layout.positionsVersion: positions or velocities written by the host. */
  readonly positions: number;
}

/** Builds an engine; may throw (no GPU, no driver): the physics actor then falls back. */
export type EngineFactory = () => PhysicsEngine | Promise<PhysicsEngine>;
