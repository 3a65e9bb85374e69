// Runtime metrics in Prometheus form. Counters are fed from the event stream (nothing on the tell
// hot path); mailbox depth, handled messages and pending asks are read from the cells at scrape.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ActorSystem } from './system.ts';

export function bindRuntimeMetrics(system: ActorSystem, registry: Registry): () => void {
  const registers = [registry];
  const deadLetters = new Counter({
    name: 'vf_dead_letters_total',
    help: 'Undeliverable messages, by reason',
    labelNames: ['reason'],
    registers,
  });
  const overflows = new Counter({
    name: 'vf_mailbox_overflow_total',
    help: 'Messages refused or evicted by a full mailbox, by actor and policy',
    labelNames: ['actor', 'policy'],
    registers,
  });
  const failures = new Counter({ name: 'vf_actor_failures_total', help: 'Actor failures, by actor', labelNames: ['actor'], registers });
  const restarts = new Counter({
    name: 'vf_actor_restarts_total',
    help: 'Completed actor restarts, by actor',
    labelNames: ['actor'],
    registers,
  });
  const decisions = new Counter({
    name: 'vf_supervisor_decisions_total',
    help: 'Supervision directives applied',
    labelNames: ['directive'],
    registers,
  });
  const faults = new Counter({ name: 'vf_faults_injected_total', help: 'Faults injected, by actor', labelNames: ['actor'], registers });
  new Gauge({
    name: 'vf_mailbox_depth',
    help: 'Messages waiting in each actor mailbox',
    labelNames: ['actor'],
    registers,
    collect() {
      this.reset();
      for (const cell of system.cells()) this.set({ actor: cell.path }, cell.mailbox.size);
    },
  });
  new Gauge({
    name: 'vf_mailbox_full',
    help: '1 for each actor whose mailbox is at capacity',
    labelNames: ['actor'],
    registers,
    collect() {
      this.reset();
      for (const cell of system.cells()) if (cell.mailbox.size >= cell.mailbox.capacity) this.set({ actor: cell.path }, 1);
    },
  });
  new Gauge({
    name: 'vf_messages_handled',
    help: 'Messages handled by each live actor since it was spawned',
    labelNames: ['actor'],
    registers,
    collect() {
      this.reset();
      for (const cell of system.cells()) this.set({ actor: cell.path }, cell.processed);
    },
  });
  new Gauge({
    name: 'vf_asks_pending',
    help: 'Asks waiting for a reply',
    registers,
    collect() {
      this.set(system.pendingAskCount);
    },
  });

  return system.events.subscribe((event) => {
    switch (event.type) {
      case 'dead-letter':
        deadLetters.inc({ reason: event.letter.reason });
        return;
      case 'mailbox-overflow':
        overflows.inc({ actor: event.path, policy: event.policy });
        return;
      case 'actor-failed':
        failures.inc({ actor: event.path });
        return;
      case 'actor-restarted':
        restarts.inc({ actor: event.path });
        return;
      case 'supervisor-decision':
        decisions.inc({ directive: event.directive });
        return;
      case 'fault-injected':
        faults.inc({ actor: event.path });
        return;
      default:
        return;
    }
  });
}
