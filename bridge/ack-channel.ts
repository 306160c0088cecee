import { type FrameTap } from './frame-tap';
import { type AckTicket, OrderedAcks } from './ordered-acks';

/**
 * The PUBACKs owed on one upstream socket. They go out in arrival order, those released in one
 * event-loop turn in one write, and only on the socket their messages came on: after a
 * reconnect the broker delivers the unacked ones again, and an ack on the new socket for a
 * packet id of the old one would acknowledge a different message.
 */
export class AckChannel {
  private readonly acks = new OrderedAcks((id) => this.queue(id));
  private batch: number[] = [];
  private flushScheduled = false;

  constructor(
    readonly tap: FrameTap,
    private readonly onAcked: () => void,
  ) {}

  /** Messages received on this socket and not yet acked. */
  get pending(): number {
    return this.acks.pending;
  }

  /** A ticket for a newly arrived QoS 1 message; completing it releases its ack in order. */
  take(messageId: number): AckTicket {
    return this.acks.add(messageId);
  }

  /** Forgets every owed ack: the socket is gone and the broker will deliver them again. */
  discard(): void {
    this.acks.discard();
    this.batch = [];
  }

  private queue(messageId: number): void {
    this.batch.push(messageId);
    this.onAcked();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const ids = this.batch;
    this.batch = [];
    if (ids.length === 0) return;
    // PUBACK with reason 0 is the same four bytes in MQTT 3.1.1 and 5: type, length 2, id.
    const bytes = Buffer.allocUnsafe(ids.length * 4);
    for (let i = 0; i < ids.length; i += 1) {
      bytes[i * 4] = 0x40;
      bytes[i * 4 + 1] = 2;
      bytes.writeUInt16BE(ids[i], i * 4 + 2);
    }
    this.tap.send(bytes);
  }
}
