import { type IPublishPacket } from 'mqtt';

import { type PublishProperties, type UserProperty } from './properties';

/**
 * Decodes the body of a PUBLISH frame the {@link FrameTap} handed over, into the same shape
 * MQTT.js gives its handlers, so the forwarder does not care which one read it. The payload is
 * a view of the received bytes, not a copy. Subscription identifiers describe this bridge's
 * own subscription and are never forwarded, so they are checked and dropped here. Returns a
 * description of the fault if the frame breaks the protocol. Tests check the result against
 * mqtt-packet's parser.
 */
export function decodePublish(
  header: number,
  body: Buffer,
  protocolVersion: 4 | 5,
): IPublishPacket | string {
  const bits = (header >> 1) & 3;
  if (bits === 3) return 'PUBLISH with QoS 3';
  const qos = bits as IPublishPacket['qos'];
  if (body.length < 2) return 'PUBLISH shorter than its topic length';

  const topicLength = body.readUInt16BE(0);
  let at = 2 + topicLength;
  if (at > body.length) return 'PUBLISH topic runs past the packet';
  const topic = body.toString('utf8', 2, at);

  let messageId: number | undefined;
  if (qos > 0) {
    if (at + 2 > body.length) return 'PUBLISH without its packet identifier';
    messageId = body.readUInt16BE(at);
    if (messageId === 0) return 'PUBLISH with packet identifier 0';
    at += 2;
  }

  let properties: PublishProperties | undefined;
  if (protocolVersion === 5) {
    const decoded = decodeProperties(body, at);
    if (typeof decoded === 'string') return decoded;
    properties = decoded.properties;
    at = decoded.end;
  }
  if (topic.length === 0) return 'PUBLISH without a topic (topic aliases are not accepted)';

  return {
    cmd: 'publish',
    topic,
    payload: body.subarray(at),
    qos,
    dup: (header & 0x08) !== 0,
    retain: (header & 0x01) !== 0,
    messageId,
    properties,
  };
}

const SUBSCRIPTION_IDENTIFIER = 0x0b;

interface Cursor {
  body: Buffer;
  at: number;
  end: number;
}

function decodeProperties(
  body: Buffer,
  start: number,
): { properties: PublishProperties | undefined; end: number } | string {
  const length = readVarint(body, start);
  if (length === undefined) return 'PUBLISH property length is malformed';
  const end = length.next + length.value;
  if (end > body.length) return 'PUBLISH properties run past the packet';
  if (length.value === 0) return { properties: undefined, end };

  const props: PublishProperties = {};
  let carried = false;
  const c: Cursor = { body, at: length.next, end };
  while (c.at < end) {
    const id = body[c.at++];
    const ok = id === SUBSCRIPTION_IDENTIFIER ? skipVarint(c) : readProperty(c, id, props);
    if (!ok) return `PUBLISH property 0x${id.toString(16)} is malformed or not allowed`;
    carried ||= id !== SUBSCRIPTION_IDENTIFIER;
  }
  return { properties: carried ? props : undefined, end };
}

/** Reads one property into `props`; false if it is malformed or has no place in a PUBLISH. */
function readProperty(c: Cursor, id: number, props: PublishProperties): boolean {
  switch (id) {
    case 0x01:
      if (c.at + 1 > c.end) return false;
      props.payloadFormatIndicator = c.body[c.at++] === 1;
      return true;
    case 0x02:
      if (c.at + 4 > c.end) return false;
      props.messageExpiryInterval = c.body.readUInt32BE(c.at);
      c.at += 4;
      return true;
    case 0x23:
      if (c.at + 2 > c.end) return false;
      props.topicAlias = c.body.readUInt16BE(c.at);
      c.at += 2;
      return true;
    case 0x03:
    case 0x08: {
      const text = readString(c);
      if (text === undefined) return false;
      if (id === 0x03) props.contentType = text;
      else props.responseTopic = text;
      return true;
    }
    case 0x09: {
      const bytes = readBinary(c);
      if (bytes === undefined) return false;
      props.correlationData = bytes;
      return true;
    }
    case 0x26: {
      const key = readString(c);
      const value = key === undefined ? undefined : readString(c);
      if (key === undefined || value === undefined) return false;
      addUserProperty(props, key, value);
      return true;
    }
    default:
      return false;
  }
}

/** Keeps the ordered list, and groups repeats of a key as MQTT.js models user properties. */
function addUserProperty(props: PublishProperties, key: string, value: string): void {
  // Appended in place: a copy per property made a message with many of them quadratic.
  const list = (props.userPropertyList ??= []) as UserProperty[];
  list.push([key, value]);
  const user = (props.userProperties ??= {});
  const had = user[key];
  if (had === undefined) user[key] = value;
  else if (Array.isArray(had)) had.push(value);
  else user[key] = [had, value];
}

function skipVarint(c: Cursor): boolean {
  const v = readVarint(c.body, c.at);
  if (v === undefined || v.next > c.end) return false;
  c.at = v.next;
  return true;
}

function readBinary(c: Cursor): Buffer | undefined {
  if (c.at + 2 > c.end) return undefined;
  const length = c.body.readUInt16BE(c.at);
  const start = c.at + 2;
  if (start + length > c.end) return undefined;
  c.at = start + length;
  return c.body.subarray(start, c.at);
}

function readString(c: Cursor): string | undefined {
  if (c.at + 2 > c.end) return undefined;
  const length = c.body.readUInt16BE(c.at);
  const start = c.at + 2;
  if (start + length > c.end) return undefined;
  c.at = start + length;
  return c.body.toString('utf8', start, c.at);
}

function readVarint(body: Buffer, start: number): { value: number; next: number } | undefined {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i += 1) {
    if (start + i >= body.length) return undefined;
    const byte = body[start + i];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, next: start + i + 1 };
    multiplier *= 128;
  }
  return undefined;
}
