import { type Outbound } from './outbound';
import { type PublishProperties } from './properties';

/**
 * Encodes a PUBLISH packet into one exactly-sized buffer. The bridge sends only the properties
 * {@link mapProperties} produces, so this covers those; anything else is left out, as the
 * property mapping would have dropped it anyway. Tests check the bytes against mqtt-packet.
 */
export function encodePublish(
  message: Outbound,
  messageId: number | undefined,
  protocolVersion: 4 | 5,
): Buffer {
  const topicBytes = Buffer.byteLength(message.topic, 'utf8');
  const props = protocolVersion === 5 ? encodedProperties(message) : undefined;
  const propsLength = props ? props.length : 0;
  let remaining = 2 + topicBytes + (message.qos > 0 ? 2 : 0) + message.payload.length;
  if (protocolVersion === 5) remaining += varintSize(propsLength) + propsLength;

  const out = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  out[0] = 0x30 | (message.qos << 1) | (message.retain ? 1 : 0);
  let at = writeVarint(out, 1, remaining);
  out.writeUInt16BE(topicBytes, at);
  at += 2;
  at += out.write(message.topic, at, 'utf8');
  if (message.qos > 0) {
    out.writeUInt16BE(messageId as number, at);
    at += 2;
  }
  if (protocolVersion === 5) {
    at = writeVarint(out, at, propsLength);
    if (props) at += props.copy(out, at);
  }
  message.payload.copy(out, at);
  return out;
}

/** Encodings of frozen property sets (the hop marker alone), which never change. */
const frozenEncodings = new WeakMap<object, Buffer>();

function encodedProperties(message: Outbound): Buffer | undefined {
  const p = message.properties;
  if (!p) return undefined;
  if (!Object.isFrozen(p)) return encodeProperties(p);
  let bytes = frozenEncodings.get(p);
  if (!bytes) {
    bytes = encodeProperties(p);
    frozenEncodings.set(p, bytes);
  }
  return bytes;
}

function encodeProperties(p: PublishProperties): Buffer {
  const parts: Buffer[] = [];
  if (p.payloadFormatIndicator !== undefined) {
    parts.push(Buffer.from([0x01, p.payloadFormatIndicator ? 1 : 0]));
  }
  if (p.messageExpiryInterval !== undefined) {
    const b = Buffer.allocUnsafe(5);
    b[0] = 0x02;
    b.writeUInt32BE(p.messageExpiryInterval, 1);
    parts.push(b);
  }
  if (p.contentType !== undefined) parts.push(Buffer.from([0x03]), utf8(p.contentType));
  if (p.responseTopic !== undefined) parts.push(Buffer.from([0x08]), utf8(p.responseTopic));
  if (p.correlationData !== undefined) {
    const len = Buffer.allocUnsafe(3);
    len[0] = 0x09;
    len.writeUInt16BE(p.correlationData.length, 1);
    parts.push(len, Buffer.from(p.correlationData));
  }
  // The ordered list when the message came through the bridge's decoder; MQTT.js's record
  // (grouped by key) otherwise.
  const pairs =
    p.userPropertyList ??
    Object.entries(p.userProperties ?? {}).flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => [key, String(v)] as const),
    );
  for (const [key, value] of pairs) parts.push(Buffer.from([0x26]), utf8(key), utf8(value));
  return Buffer.concat(parts);
}

function utf8(text: string): Buffer {
  const bytes = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes);
  out.writeUInt16BE(bytes, 0);
  out.write(text, 2, 'utf8');
  return out;
}

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  let value = n;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 128;
    out[at++] = byte;
  } while (value > 0);
  return at;
}
