// Canary probes: a message published on one broker must come out of the other through the
// bridge. Device-to-backend traffic is shared with legacy backends (a shared subscription),
// so one canary may be consumed by a backend instead of the bridge: the probe keeps sending a
// fresh canary every second until one arrives or the time is up.
import { randomUUID } from 'node:crypto';

import { log } from '@temporalio/activity';

import { type MigrationPlan } from '../plan';
import { type BrokerName, connectBroker } from './brokers';
import { retryable } from './errors';
import { beat } from './waiting';

/** Which way the canary travels. */
export type CanaryDirection = 'device-to-backend' | 'backend-to-device';

/** A canary that made it: the round trip in milliseconds and how many were sent. */
export interface CanaryResult {
  direction: CanaryDirection;
  roundTripMs: number;
  sent: number;
}

/** Sends canaries through the bridge in one direction; fails if none arrives in time. */
export async function probeBridge(input: {
  brokers: MigrationPlan['brokers'];
  canary: MigrationPlan['canary'];
  direction: CanaryDirection;
}): Promise<CanaryResult> {
  const d2b = input.direction === 'device-to-backend';
  const from: BrokerName = d2b ? 'legacy' : 'iotCore';
  const to: BrokerName = d2b ? 'iotCore' : 'legacy';
  const topic = d2b ? input.canary.deviceToBackendTopic : input.canary.backendToDeviceTopic;
  const timeoutMs = input.canary.timeoutSeconds * 1000;
  const run = randomUUID();
  const receiver = await connectBroker(input.brokers, to, `fleetshift-canary-rx-${run}`, timeoutMs);
  const sender = await connectBroker(input.brokers, from, `fleetshift-canary-tx-${run}`, timeoutMs);
  try {
    await receiver.subscribeAsync(topic, { qos: 1 });
    const sentAt = new Map<string, number>();
    const arrived = new Promise<number>((resolve) => {
      receiver.on('message', (_topic, payload) => {
        const started = sentAt.get(payload.toString());
        if (started !== undefined) resolve(Date.now() - started);
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const id = `${run}/${sentAt.size}`;
      sentAt.set(id, Date.now());
      await sender.publishAsync(topic, id, { qos: 1 });
      beat({ sent: sentAt.size });
      const roundTripMs = await Promise.race([arrived, delay(1000)]);
      if (roundTripMs !== undefined) {
        log.info('canary arrived', { direction: input.direction, roundTripMs, sent: sentAt.size });
        return { direction: input.direction, roundTripMs, sent: sentAt.size };
      }
    }
    throw retryable(
      'CanaryTimeout',
      `no ${input.direction} canary arrived within ${input.canary.timeoutSeconds}s (${sentAt.size} sent)`,
    );
  } finally {
    sender.end(true);
    receiver.end(true);
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
