import { Duplex } from 'node:stream';

/** Receives one tapped MQTT frame: its fixed-header byte and its body (a view, not a copy). */
export type FrameHandler = (header: number, body: Buffer) => void;

/**
 * Sits between a broker socket and MQTT.js and takes the frames of one packet type for itself.
 *
 * MQTT.js parses every packet into an object, copies it through a buffer list and handles it
 * on its own queue, one per tick. For the packets that make up the bridge's traffic (PUBLISH
 * upstream, PUBACK downstream) that costs more than the forwarding itself. The tap splits the
 * byte stream into frames, hands the tapped type to `onFrame` at once, and passes every other
 * frame (CONNACK, SUBACK, PINGRESP, ...) on, so MQTT.js still connects, subscribes, pings and
 * reconnects. Writes of both go straight to the socket, whole packets in call order.
 *
 * `onFrame` runs before MQTT.js has seen an earlier CONNACK in the same chunk, so a handler
 * must not rely on the client's `connected` flag: it writes its answers with {@link send},
 * which reaches exactly the socket the frame came on.
 */
export class FrameTap extends Duplex {
  private pending: Buffer | undefined;
  private held = false;
  private backedUp = false;
  /** Whether the broker accepted the connection (a CONNACK with reason 0 came by). */
  accepted = false;

  constructor(
    readonly socket: Duplex,
    private readonly tappedType: number,
    private readonly onFrame: FrameHandler,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** Whether the socket can still take bytes. */
  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Writes bytes of our own (acks, publishes) to this tap's socket, if it is still open. */
  send(bytes: Buffer): boolean {
    if (!this.open) return false;
    this.socket.write(bytes);
    return true;
  }

  // MQTT.js writes a packet as several chunks. Each goes to the socket at once, in order, and
  // is taken as written: were a chunk left waiting for the socket (congested), a frame of ours
  // sent meanwhile with send() would land inside MQTT.js's packet and corrupt it.
  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (err?: Error | null) => void,
  ): void {
    this.socket.write(chunk);
    done();
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    done: (err?: Error | null) => void,
  ): void {
    this.socket.write(Buffer.concat(chunks.map((c) => c.chunk)));
    done();
  }

  /**
   * Stops handing over frames (and reading the socket) until released: the broker then waits,
   * by TCP's flow control, with what it has not sent. Frames already read stay here.
   */
  hold(on: boolean): void {
    if (this.held === on) return;
    this.held = on;
    if (!on && this.pending) setImmediate(() => this.receive(Buffer.alloc(0)));
    this.flow();
  }

  override _read(): void {
    this.backedUp = false;
    this.flow();
  }

  private flow(): void {
    if (this.held || this.backedUp) this.socket.pause();
    else this.socket.resume();
  }

  override _final(done: (err?: Error) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }

  private receive(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let offset = 0;
    let passFrom = -1;
    const passed: Buffer[] = [];

    while (offset < data.length && !this.held) {
      const frame = frameAt(data, offset);
      if (frame === undefined) break;
      if (frame === 'malformed') {
        // The broker broke the protocol; a new connection resumes the session cleanly.
        this.destroy(new Error('malformed MQTT frame length from the broker'));
        return;
      }
      const { bodyStart, end } = frame;
      if (data[offset] >> 4 === this.tappedType) {
        if (passFrom >= 0) passed.push(data.subarray(passFrom, offset));
        passFrom = -1;
        this.onFrame(data[offset], data.subarray(bodyStart, end));
      } else {
        if (data[offset] >> 4 === CONNACK) this.accepted = data[bodyStart + 1] === 0;
        if (passFrom < 0) passFrom = offset;
      }
      offset = end;
    }

    if (passFrom >= 0) passed.push(data.subarray(passFrom, offset));
    if (offset < data.length) this.pending = data.subarray(offset);
    if (passed.length === 0 || this.destroyed) return;
    const more = this.push(passed.length === 1 ? passed[0] : Buffer.concat(passed));
    if (!more) {
      this.backedUp = true;
      this.flow();
    }
  }
}

/** MQTT control packet type of CONNACK. */
const CONNACK = 2;

/** Where the frame at `offset` has its body and where it ends; undefined if incomplete. */
function frameAt(
  data: Buffer,
  offset: number,
): { bodyStart: number; end: number } | 'malformed' | undefined {
  let length = 0;
  let multiplier = 1;
  let at = offset + 1;
  for (let i = 0; i < 4; i += 1) {
    if (at >= data.length) return undefined;
    const byte = data[at++];
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const end = at + length;
      return end <= data.length ? { bodyStart: at, end } : undefined;
    }
    multiplier *= 128;
  }
  // The remaining length takes at most four bytes.
  return 'malformed';
}
