// The gateway's AgentPort (src/gateway/ports.ts): agent events for the clients that subscribe to
// Topic.Agents. The swarm dispatchers publish into it (agent-events.ts builds the payloads); each
// subscriber (a client session) gets every event, fire and forget. Agents themselves do not speak
// over a client session: they are remote actor systems and connect at /remote, so an agent message
// a session hands over is counted and dropped.
import type { AgentEvent, AgentPort, MutationOrigin } from '../gateway/ports.ts';
import type { PayloadT } from '../protocol/index.ts';
import type { Recipient } from '../shared/recipient.ts';

export const AGENTS_CONNECT_AT = 'agents connect at /remote';

export class AgentEventHub implements AgentPort {
  private readonly subscribers = new Map<string, Recipient<AgentEvent>>();
  /** Agent messages sessions handed over, which are not served (AGENTS_CONNECT_AT). */
  unsupported = 0;

  constructor(
    /** Most subscribers at once; more are not added (a session per client: the gateway's own cap binds first). */
    private readonly maxSubscribers = 10_000,
  ) {}

  deliver(_payload: PayloadT, _origin: MutationOrigin): void {
    this.unsupported++;
  }

  subscribe(subscriber: Recipient<AgentEvent>): void {
    if (this.subscribers.size < this.maxSubscribers || this.subscribers.has(subscriber.path))
      this.subscribers.set(subscriber.path, subscriber);
  }

  unsubscribe(subscriber: Recipient<AgentEvent>): void {
    this.subscribers.delete(subscriber.path);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(payload: PayloadT): void {
    if (this.subscribers.size === 0) return;
    const event: AgentEvent = { type: 'agent-event', payload };
    for (const subscriber of this.subscribers.values()) subscriber.tell(event);
  }
}
