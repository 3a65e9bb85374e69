// One swarm's supervisor (/app/agents/swarms/<name>): it starts the swarm's dispatcher and
// supervises it one-for-one (the strategy is given by the tree: its spawn options). It takes no
// messages of its own; everything for the swarm goes to the dispatcher.
import type { ActorFactory, SpawnOptions } from '../runtime/actor.ts';
import { DISPATCHER_NAME, swarmDispatcher } from './swarm-dispatcher.ts';
import type { SwarmDeps } from './swarm-options.ts';

export type SwarmSupervisorMsg = never;

/** The dispatcher's mailbox: agents' reports and the queue's answers, bounded; a full one refuses. */
const DISPATCHER_MAILBOX: SpawnOptions['mailbox'] = { capacity: 50_000, overflow: 'reject' };

export function swarmSupervisor(swarm: string, deps: SwarmDeps): ActorFactory<SwarmSupervisorMsg> {
  return (ctx) => ({
    preStart() {
      ctx.spawn(swarmDispatcher(swarm, deps), { name: DISPATCHER_NAME, mailbox: DISPATCHER_MAILBOX });
    },
    receive() {
      // Nothing is sent here.
    },
  });
}
