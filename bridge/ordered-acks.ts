/** One message waiting for its upstream acknowledgement. */
export interface AckTicket {
  /** Marks the message as handled downstream; its ack goes out once all earlier ones have. */
  complete(): void;
  /**
   * True once the connection the message came on is gone: its ack can never be sent, and the
   * broker delivers the message again, so forwarding this copy would only add a duplicate.
   */
  readonly abandoned: boolean;
}

/**
 * A queue entry. A class rather than a closure per message: at tens of thousands of messages
 * per second the allocations of closures show up in the garbage collector's share.
 */
class Entry implements AckTicket {
  done = false;
  abandoned = false;

  constructor(
    readonly owner: OrderedAcks,
    readonly id: number,
  ) {}

  complete(): void {
    if (this.done) return;
    this.done = true;
    this.owner.drainHead();
  }
}

/**
 * Releases upstream acknowledgements in arrival order while their messages finish in any order.
 *
 * MQTT asks a receiver to acknowledge QoS 1 messages in the order they arrived, but the bridge
 * forwards many messages at once and their downstream acks come back in any order. Each message
 * takes a ticket on arrival; completing a ticket releases the head of the queue for as long as
 * the head is complete.
 */
export class OrderedAcks {
  private queue: Entry[] = [];
  private head = 0;

  constructor(
    /** Sends the ack of message `id` upstream. */
    private readonly release: (id: number) => void,
  ) {}

  /** Messages that arrived and whose ack has not been released yet. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Takes a ticket for a newly arrived message (its packet id). */
  add(id: number): AckTicket {
    const entry = new Entry(this, id);
    this.queue.push(entry);
    return entry;
  }

  /**
   * Forgets every waiting message without acking it: the upstream connection they came on is
   * gone, and the broker will deliver them again on the next session.
   */
  discard(): void {
    for (let i = this.head; i < this.queue.length; i += 1) {
      this.queue[i].done = true;
      this.queue[i].abandoned = true;
    }
    this.queue = [];
    this.head = 0;
  }

  /** Releases the head of the queue while it is complete (called by a completing ticket). */
  drainHead(): void {
    while (this.head < this.queue.length && this.queue[this.head].done) {
      const entry = this.queue[this.head];
      this.head += 1;
      this.release(entry.id);
    }
    // Compact now and then so the array does not grow for the lifetime of the connection.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
