// The physics actor's engine child (/.../physics/engine): it owns one engine instance, built from
// the selector's current candidate at every (re)start, and runs the steps its parent asks for.
// Anything that goes wrong here is a failure of this child, and the physics actor's supervision
// decider (engineFallbackDecider) decides what follows: retry, or the next engine. The parent's
// layout state is untouched by all this, so the graph keeps its shape and keeps moving.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { PhysicsEngine } from '../physics/engine.ts';
import { EngineFailure, type EngineSelector } from '../physics/engine-selector.ts';
import type { EngineStep, PhysicsMsg } from './physics-messages.ts';

export function physicsEngineActor(selector: EngineSelector, parent: Ref<PhysicsMsg>): ActorFactory<EngineStep> {
  return () => {
    const candidate = selector.current();
    let engine: PhysicsEngine | undefined;
    const dispose = async (): Promise<void> => {
      const e = engine;
      engine = undefined;
      await e?.dispose();
    };
    return {
      async preStart() {
        try {
          engine = await candidate.create();
        } catch (error) {
          throw new EngineFailure(candidate.kind, 'init', error);
        }
        parent.tell({ type: 'engine-ready', engine: engine.kind, description: engine.description });
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
