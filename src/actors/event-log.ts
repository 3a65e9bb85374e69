// The recent supervision events the status page shows (/api/events): a bounded log fed from the
// runtime's event stream.
import { describeError } from '../runtime/errors.ts';
import type { RuntimeEvent } from '../runtime/events.ts';

export interface EventRecord {
  readonly type: string;
  readonly path: string;
  readonly detail: string;
  readonly time: number;
}

export class EventLog {
  private readonly records: EventRecord[] = [];

  constructor(private readonly keep: number) {}

  readonly add = (event: RuntimeEvent): void => {
    const record = summarise(event);
    if (record === undefined) return;
    if (this.records.length >= this.keep) this.records.shift();
    this.records.push(record);
  };

  list(): readonly EventRecord[] {
    return this.records;
  }
}

function summarise(event: RuntimeEvent): EventRecord | undefined {
  switch (event.type) {
    case 'actor-failed':
      return { type: event.type, path: event.path, detail: describeError(event.error), time: event.time };
    case 'supervisor-decision':
      return { type: event.type, path: event.child, detail: `${event.directive} ${event.affected.join(', ')}`, time: event.time };
    case 'restart-scheduled':
      return {
        type: event.type,
        path: event.path,
        detail: `attempt ${event.attempt} in ${Math.round(event.delayMs)} ms`,
        time: event.time,
      };
    case 'actor-restarted':
      return { type: event.type, path: event.path, detail: `attempt ${event.attempt}`, time: event.time };
    case 'actor-stopped':
      // Sessions come and go with every client: not supervision news.
      return /\/s-\d+$/.test(event.path) ? undefined : { type: event.type, path: event.path, detail: event.reason, time: event.time };
    case 'restart-intensity-exceeded':
      return { type: event.type, path: event.supervisor, detail: '', time: event.time };
    case 'fault-injected':
      return { type: event.type, path: event.path, detail: event.fault, time: event.time };
    case 'mailbox-overflow':
      return { type: event.type, path: event.path, detail: `${event.policy} at ${event.capacity}`, time: event.time };
    default:
      return undefined;
  }
}
