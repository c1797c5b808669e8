// Local channel-id allocation, kept apart from the connection so a proxy-mode relay can
// renumber channels with its own table. An id is handed out again only after `release`, which
// the connection calls once both sides have sent SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3):
// reusing it earlier would route the peer's late messages to the wrong channel.

export class ChannelTable<T> {
  private readonly slots = new Map<number, T>();
  /** Lowest id that may be free; ids below it are all taken. Keeps ids small like OpenSSH. */
  private lowestFree = 0;

  constructor(readonly maxChannels = 8192) {}

  /** Stores `value` under the lowest free id; undefined when the table is full. */
  allocate(value: T): number | undefined {
    if (this.slots.size >= this.maxChannels) return undefined;
    let id = this.lowestFree;
    while (this.slots.has(id)) id++;
    this.slots.set(id, value);
    this.lowestFree = id + 1;
    return id;
  }

  get(id: number): T | undefined {
    return this.slots.get(id);
  }

  /** Replaces the value of an allocated id (e.g. a pending open becoming a channel). */
  replace(id: number, value: T): void {
    if (!this.slots.has(id)) throw new Error(`channel id ${id} is not allocated`);
    this.slots.set(id, value);
  }

  release(id: number): void {
    if (this.slots.delete(id) && id < this.lowestFree) this.lowestFree = id;
  }

  get size(): number {
    return this.slots.size;
  }

  entries(): IterableIterator<[number, T]> {
    return this.slots.entries();
  }
}
