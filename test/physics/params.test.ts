// Parameters: validated as a whole, patched field by field, eased in linearly over easeTicks.
import test from 'ava';
import { applyPatch, DEFAULT_PARAMS, InvalidParams, ParamEaser } from '../../src/physics/params.ts';

test('patches merge group fields and are validated', (t) => {
  const p = applyPatch(DEFAULT_PARAMS, { agent: { charge: 5 }, theta: 0.5 });
  t.is(p.agent.charge, 5);
  t.is(p.agent.mass, DEFAULT_PARAMS.agent.mass);
  t.is(p.theta, 0.5);
  for (const bad of [
    { damping: 1 },
    { timeStep: 0 },
    { repulsion: NaN },
    { maxForce: Infinity },
    { knowledge: { mass: 0 } },
    { simHz: 5000 },
  ]) {
    t.throws(() => applyPatch(DEFAULT_PARAMS, bad), { instanceOf: InvalidParams }, JSON.stringify(bad));
  }
  t.throws(() => applyPatch(DEFAULT_PARAMS, { nonsense: 1 } as never), { instanceOf: InvalidParams });
});

test('a change eases in linearly over easeTicks and lands exactly; discrete values switch at once', (t) => {
  const easer = new ParamEaser(DEFAULT_PARAMS);
  easer.set({ repulsion: 22, easeTicks: 5, simHz: 30, annealTicks: 300, knowledge: { springLength: 20 } });
  t.is(easer.active.simHz, 30);
  t.is(easer.active.annealTicks, 300, 'a tick count is never a fraction on the way');
  t.is(easer.active.repulsion, 12);
  const seen: number[] = [];
  while (easer.tick()) seen.push(easer.active.repulsion);
  t.deepEqual(seen, [14, 16, 18, 20, 22]);
  t.is(easer.active.knowledge.springLength, 20);
  t.false(easer.easing);
});

test('a new target mid-way starts a fresh ramp from the current values', (t) => {
  const easer = new ParamEaser(applyPatch(DEFAULT_PARAMS, { easeTicks: 4 }));
  easer.set({ repulsion: 20 });
  easer.tick();
  easer.tick();
  t.is(easer.active.repulsion, 16);
  easer.set({ repulsion: 0 });
  const seen: number[] = [];
  while (easer.tick()) seen.push(easer.active.repulsion);
  t.deepEqual(seen, [12, 8, 4, 0]);
});
