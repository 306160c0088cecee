import { randomBytes } from 'node:crypto';

import { type MqttClient } from 'mqtt';

/** `$share/g/fleet/+/telemetry` becomes `$share/g-resume/fleet/+/telemetry`: its own group. */
export function standInFilter(filter: string): string {
  return filter.replace(/^\$share\/([^/]+)\//, (_all, group: string) => `$share/${group}-resume/`);
}

/**
 * Unsubscribes and subscribes a shared filter again on a resumed session (Mosquitto 2.0 restores
 * a session after a restart without its shared subscriptions, and a repeated SUBSCRIBE does not
 * revive them). While the real subscription is down, a message matching no other member would
 * be dropped by the broker; a stand-in group, subscribed first and left last, takes those
 * instead. Messages of the short overlap arrive twice.
 */
export async function resubscribeShared(
  client: MqttClient,
  shared: string,
  others: string[],
): Promise<void> {
  const standIn = standInFilter(shared);
  await client.subscribeAsync(standIn, { qos: 1 });
  await client.unsubscribeAsync(shared);
  await client.subscribeAsync([shared, ...others], { qos: 1 });
  await client.unsubscribeAsync(standIn);
}

/**
 * Leaves a shared group without losing its share. After UNSUBSCRIBE the broker assigns the
 * member nothing new, but what it already assigned is in flight or queued in the session, and
 * Mosquitto 2.0 gives none of it to another member when the session ends: it is dropped, or
 * waits for a client that resumes the session. So the member keeps reading until a marker
 * published to itself comes back: the broker delivers a session's messages in order, so
 * everything assigned before the marker has arrived by then. Resolves true when it did, false
 * when `timeoutMs` passed first.
 */
export async function leaveSharedGroup(
  client: MqttClient,
  shared: string,
  markerTopic: string,
  timeoutMs: number,
): Promise<boolean> {
  const marker = randomBytes(6).toString('hex');
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const markerBack = new Promise<boolean>((resolve) => {
    onMessage = (topic, payload) => {
      if (topic === markerTopic && payload.toString() === marker) resolve(true);
    };
    client.on('message', onMessage);
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const leave = async (): Promise<void> => {
    await client.unsubscribeAsync([shared, standInFilter(shared)]);
    await client.subscribeAsync(markerTopic, { qos: 1 });
    await client.publishAsync(markerTopic, marker, { qos: 1 });
  };
  try {
    const left = leave().then(
      () => markerBack,
      () => false,
    );
    return await Promise.race([left, markerBack]);
  } finally {
    clearTimeout(timer);
    if (onMessage) client.removeListener('message', onMessage);
  }
}
