// A FIFO over a circular array: O(1) push and shift with no array shifting. It grows by doubling
// up to a hard `limit` and never beyond, so an idle actor does not pay for its maximum capacity.

export class RingBuffer<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly limit: number,
    initialCapacity = 16,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`ring buffer limit must be a positive integer, got ${limit}`);
    this.slots = new Array<T | undefined>(Math.min(limit, Math.max(1, initialCapacity)));
  }

  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.limit;
  }

  /** Appends; returns false (and stores nothing) when the buffer holds `limit` items. */
  push(item: T): boolean {
    if (this.count === this.slots.length) {
      if (this.count >= this.limit) return false;
      this.grow();
    }
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
    return true;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  clear(): T[] {
    const items: T[] = [];
    while (this.count > 0) items.push(this.shift() as T);
    return items;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.limit, this.slots.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
