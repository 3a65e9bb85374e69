// Runtime metrics from the event stream and from the cells at scrape time.
import test from 'ava';
import { Registry } from 'prom-client';
import { bindRuntimeMetrics } from '../../src/runtime/metrics.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import { IMMEDIATE } from '../../src/shared/backoff.ts';
import { Strategies } from '../../src/supervisors/strategy.ts';
import { testSystem } from '../helpers/system.ts';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

test('failures, restarts, decisions, faults, dead letters and pending asks are counted', async (t) => {
  const { system, advance } = testSystem(t, { rootStrategy: Strategies.oneForOne({ backoff: IMMEDIATE }) });
  const registry = new Registry();
  const unbind = bindRuntimeMetrics(system, registry);
  const ref = system.spawn<number | { replyTo: Ref<number> }>(() => ({ receive: () => undefined }), { name: 'x' });
  system.faults.inject('/x', { kind: 'throw', times: 2 });
  ref.tell(1);
  await advance(0);
  ref.tell(2);
  await advance(0);
  ref.tell(3);
  system.tellPath('/missing', 0);
  const pending = system.ask<number | { replyTo: Ref<number> }, number>(ref, (replyTo) => ({ replyTo }), 50).catch(() => 'timed out');
  await system.settled();
  t.is(await value(registry, 'vf_actor_failures_total', { actor: '/x' }), 2);
  t.is(await value(registry, 'vf_actor_restarts_total', { actor: '/x' }), 2);
  t.is(await value(registry, 'vf_supervisor_decisions_total', { directive: 'restart' }), 2);
  t.is(await value(registry, 'vf_faults_injected_total', { actor: '/x' }), 2);
  t.is(await value(registry, 'vf_dead_letters_total', { reason: 'recipient-unknown' }), 1);
  t.is(await value(registry, 'vf_asks_pending'), 1);
  t.is(await value(registry, 'vf_messages_handled', { actor: '/x' }), 4, 'since spawn, across restarts, faulted ones included');
  await advance(50);
  t.is(await pending, 'timed out');
  t.is(await value(registry, 'vf_asks_pending'), 0);
  t.is(await value(registry, 'vf_dead_letters_total', { reason: 'ask-expired' }), 1);
  unbind();
  system.tellPath('/missing', 0);
  t.is(await value(registry, 'vf_dead_letters_total', { reason: 'recipient-unknown' }), 1, 'unbound: no longer counted');
});
