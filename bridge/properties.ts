import { type IPublishPacket } from 'mqtt';

/** One user property: key and value. */
export type UserProperty = readonly [key: string, value: string];

/**
 * MQTT 5 publish properties as MQTT.js models them, plus the user properties as the ordered
 * list they arrived in: MQTT.js's record groups repeats of a key, which loses the order of
 * interleaved pairs (a=1, b=2, a=3), and a broker must keep that order.
 */
export type PublishProperties = NonNullable<IPublishPacket['properties']> & {
  userPropertyList?: readonly UserProperty[];
};

/** The user property that marks a message as already bridged once. */
export const HOP_PROPERTY = 'fleetshift-hop';

/**
 * The hop marker a bridge puts on a message it publishes on `topic`: its id and a hash of the
 * topic. The opposite direction skips a message only if it carries the marker for the topic it
 * arrived on, so it skips its partner's echo but forwards a reply on another topic that copied
 * the request's user properties (marker included).
 */
export function hopMarker(bridgeId: string, topic: string): string {
  // FNV-1a, 32 bits: short, and a reply's topic colliding with its request's is 1 in 4 billion.
  let hash = 0x811c9dc5;
  for (let i = 0; i < topic.length; i += 1) {
    hash ^= topic.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${bridgeId}#${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/** What {@link mapProperties} decided for one message. */
export type PropertyMapping =
  { kind: 'forward'; properties: PublishProperties | undefined } | { kind: 'expired' };

/**
 * The properties for the downstream publish of a message that spent `elapsedMs` in the bridge.
 *
 * Kept: user properties (order and repeats as received; a hop marker copied from elsewhere is
 * replaced by this hop's, which goes last), content
 * type, response topic, correlation data, payload format indicator. Message expiry is reduced
 * by the seconds spent here, rounded to the nearest. Topic alias and subscription identifier
 * describe one connection and are never copied. `hop` adds the loop marker (only on an MQTT 5
 * downstream leg; pass undefined otherwise).
 */
export function mapProperties(
  inbound: PublishProperties | undefined,
  elapsedMs: number,
  hop: string | undefined,
): PropertyMapping {
  if (!carriesAny(inbound)) return onlyHop(hop);
  const out: PublishProperties = {};
  const inUser = inbound?.userProperties;
  const user: Record<string, string | string[]> = {};
  let hasUser = false;
  if (inUser) {
    for (const [key, value] of Object.entries(inUser)) {
      if (hop !== undefined && key === HOP_PROPERTY) continue;
      user[key] = Array.isArray(value) ? [...value] : value;
      hasUser = true;
    }
  }
  if (hop !== undefined) {
    user[HOP_PROPERTY] = hop;
    hasUser = true;
  }
  if (hasUser) out.userProperties = user;
  const inList = inbound.userPropertyList;
  if (inList) {
    out.userPropertyList =
      hop === undefined
        ? inList
        : [...inList.filter(([key]) => key !== HOP_PROPERTY), [HOP_PROPERTY, hop]];
  }

  if (inbound?.contentType !== undefined) out.contentType = inbound.contentType;
  if (inbound?.responseTopic !== undefined) out.responseTopic = inbound.responseTopic;
  if (inbound?.correlationData !== undefined) out.correlationData = inbound.correlationData;
  if (inbound?.payloadFormatIndicator !== undefined) {
    out.payloadFormatIndicator = inbound.payloadFormatIndicator;
  }
  if (inbound?.messageExpiryInterval !== undefined) {
    // The time the message then waits for a downstream lane is taken off by the pool.
    // Rounded to the nearest second: rounding up would cost a fresh message a whole second
    // (and expire every 1 s message on arrival), rounding down would never charge short stays.
    const spentSeconds = Math.round(Math.max(0, elapsedMs) / 1000);
    const remaining = inbound.messageExpiryInterval - spentSeconds;
    if (remaining <= 0) return { kind: 'expired' };
    out.messageExpiryInterval = remaining;
  }
  return { kind: 'forward', properties: Object.keys(out).length > 0 ? out : undefined };
}

/**
 * Whether an inbound message carries the given hop marker (see {@link hopMarker}).
 * LIMITATION: a reply published on the very topic of its request, with the request's user
 * properties copied, carries the request's marker and is skipped as an echo (counted).
 */
export function carriesHop(properties: PublishProperties | undefined, hop: string): boolean {
  const value = properties?.userProperties?.[HOP_PROPERTY];
  if (value === undefined) return false;
  return Array.isArray(value) ? value.includes(hop) : value === hop;
}

/** Whether a message has any property the bridge carries over (not alias, not sub id). */
function carriesAny(p: PublishProperties | undefined): p is PublishProperties {
  return (
    p !== undefined &&
    (p.userProperties !== undefined ||
      p.contentType !== undefined ||
      p.responseTopic !== undefined ||
      p.correlationData !== undefined ||
      p.payloadFormatIndicator !== undefined ||
      p.messageExpiryInterval !== undefined)
  );
}

const NOTHING: PropertyMapping = Object.freeze({ kind: 'forward', properties: undefined });
/** Frozen mappings by marker; started over at 10,000 markers (one per topic). */
const hopOnly = new Map<string, PropertyMapping>();

/**
 * The mapping of a message that came with no properties: the same frozen object every time,
 * so the publish encoder can reuse its bytes instead of encoding the marker per message.
 */
function onlyHop(hop: string | undefined): PropertyMapping {
  if (hop === undefined) return NOTHING;
  let mapping = hopOnly.get(hop);
  if (!mapping) {
    const properties = Object.freeze({ userProperties: Object.freeze({ [HOP_PROPERTY]: hop }) });
    mapping = Object.freeze({ kind: 'forward', properties });
    if (hopOnly.size >= 10_000) hopOnly.clear();
    hopOnly.set(hop, mapping);
  }
  return mapping;
}
