import mqtt from 'mqtt';

import { type BrokerTarget, reconcileLedger, TOPICS, type Telemetry } from '../dataplane';
import { sleep } from '../health';

const PROBE_DEVICE = 'consumer-probe';

/**
 * Waits until a backend consumes telemetry on `broker`, by publishing probe messages until one
 * shows up in the ledger as received. A broker drops messages that match no subscription, so
 * devices must not start before their backends have subscribed. The probes are not recorded as
 * sent: ones published before any subscriber existed were never meant to arrive.
 */
export async function awaitConsumers(
  broker: BrokerTarget,
  ledgerDir: string,
  timeoutMs = 60_000,
): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, {
    clientId: `fleetshift-demo-probe-${process.pid}`,
    reconnectPeriod: 1000,
    ...(broker.tls ?? {}),
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let seq = 1; Date.now() < deadline; seq += 1) {
      // Backends answer every fifth message with a command; a probe must never ask for one.
      if (seq % 5 === 0) continue;
      const probe: Telemetry = {
        id: `probe.${process.pid}.${seq}`,
        device: PROBE_DEVICE,
        seq,
        sentAtMs: Date.now(),
      };
      await client.publishAsync(TOPICS.telemetry(PROBE_DEVICE), JSON.stringify(probe), { qos: 1 });
      await sleep(500);
      if (reconcileLedger(ledgerDir)['device-to-backend'].unexpected > 0) return;
    }
    throw new Error(`no backend consumed telemetry on ${broker.url} within ${timeoutMs / 1000}s`);
  } finally {
    await client.endAsync();
  }
}
