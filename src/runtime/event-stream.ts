// Synchronous publish/subscribe for runtime events. A throwing subscriber is reported once to
// stderr and never breaks the publisher: observability must not take the system down.

export type Unsubscribe = () => void;

export class EventStream<E> {
  private listeners: ((event: E) => void)[] = [];

  get hasSubscribers(): boolean {
    return this.listeners.length > 0;
  }

  subscribe(listener: (event: E) => void): Unsubscribe {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  publish(event: E): void {
    // The array is replaced on (un)subscribe, so a listener that unsubscribes mid-publish is safe.
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`event stream subscriber threw: ${String(error)}`);
      }
    }
  }
}
