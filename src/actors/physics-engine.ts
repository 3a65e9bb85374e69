// The physics actor's engine child (/.../physics/engine): it owns one engine instance, built from
// the selector's current candidate at every (re)start, and runs the steps its parent asks for.
// Anything that goes wrong here is a failure of this child, and the physics actor's supervision
// decider (engineFallbackDecider) decides what follows: retry, or the next engine. The parent's
// layout state is untouched by all this, so the graph keeps its shape and keeps moving.
//
// An instance can be discarded while its engine is still being built (a kill, or a failure of the
// parent, during preStart): the build then finishes into nothing, so the engine it yields is
// disposed of at once (its worker threads ended, its shared buffers and device memory freed) and
// never announced to the parent, which would otherwise take a dead instance's engine for its own.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { PhysicsEngine } from '../physics/engine.ts';
import { EngineFailure, type EngineSelector } from '../physics/engine-selector.ts';
import type { EngineStep, PhysicsMsg } from './physics-messages.ts';

export function physicsEngineActor(selector: EngineSelector, parent: Ref<PhysicsMsg>): ActorFactory<EngineStep> {
  return () => {
    const candidate = selector.current();
    let engine: PhysicsEngine | undefined;
    let discarded = false;
    const dispose = async (): Promise<void> => {
      discarded = true;
      const e = engine;
      engine = undefined;
      await e?.dispose();
    };
    return {
      async preStart() {
        let built: PhysicsEngine;
        try {
          built = await candidate.create();
        } catch (error) {
          if (discarded) return;
          throw new EngineFailure(candidate.kind, 'init', error);
        }
        if (discarded) return built.dispose();
        engine = built;
        parent.tell({ type: 'engine-ready', engine: built.kind, description: built.description });
      },
      async receive(m) {
        if (engine === undefined) throw new EngineFailure(candidate.kind, 'step', new Error('no engine'));
        let stats;
        try {
          stats = await engine.step(m.buffers, m.globals, m.versions);
        } catch (error) {
          throw new EngineFailure(candidate.kind, 'step', error);
        }
        selector.recordSuccess();
        parent.tell({ type: 'step-done', seq: m.seq, stats });
      },
      postStop: dispose,
      preRestart: dispose,
    };
  };
}
