import mqtt from 'mqtt';

import { loadSandboxConfig } from '../../../sandbox';
import {
  openLedger,
  reconcileLedger,
  sandboxBrokerTargets,
  startBackend,
  startDnsServer,
  startFleet,
  type Telemetry,
  TOPICS,
} from '../../../sandbox/dataplane';
import { testEndpoints } from '../../support/sandbox';
import { tempDir, unique, waitFor } from './fixtures';

jest.setTimeout(60_000);

describe('the ledger over devices and backends in separate writers', () => {
  const ledgerDir = tempDir('ledger');
  const group = unique('backend');

  it('reports zero lost both ways when devices and backends ran normally', async () => {
    const dns = await startDnsServer({
      recordName: 'mqtt.ledger.sandbox',
      source: async () => [
        { setIdentifier: 'legacy', weight: 1, target: 'legacy.broker.sandbox.', ttlSeconds: 5 },
      ],
    });
    const backends = await Promise.all(
      ['a', 'b'].map((n) =>
        startBackend({
          instanceId: unique(`backend-${n}`),
          brokerUrl: testEndpoints().legacyBrokerUrl,
          group,
          commandEvery: 2,
          resendAfterMs: 1000,
          ledgerDir,
        }),
      ),
    );
    const fleet = startFleet({
      devices: 10,
      dns: { server: dns.address, recordName: 'mqtt.ledger.sandbox' },
      brokers: sandboxBrokerTargets(loadSandboxConfig()),
      idPrefix: unique('ledger'),
      telemetryIntervalMs: 200,
      reconnectEveryMs: 1000,
      ledgerDir,
    });
    await waitFor(() => fleet.snapshot().commandsReceived >= 20, 'commands to arrive');

    // A clean end: devices go quiet but stay to ack, their telemetry is acked by the broker,
    // backends drain outstanding commands, and only then do devices disconnect.
    fleet.quiesce();
    await waitFor(() => fleet.snapshot().unacked === 0, 'telemetry acked by the brokers');
    await Promise.all(backends.map((b) => b.stop()));
    await fleet.stop(0);
    await dns.stop();

    const report = reconcileLedger(ledgerDir);
    expect(report['device-to-backend'].sent).toBeGreaterThan(20);
    expect(report['device-to-backend']).toMatchObject({ lost: 0, unexpected: 0 });
    expect(report['device-to-backend'].delivered).toBe(report['device-to-backend'].sent);
    expect(report['backend-to-device'].sent).toBeGreaterThanOrEqual(20);
    expect(report['backend-to-device']).toMatchObject({ lost: 0, unexpected: 0 });
  });

  it('reports the one message the broker dropped for want of a subscriber', async () => {
    // Nobody subscribes now: the broker drops this QoS 1 message after acknowledging it.
    const ledger = openLedger(ledgerDir, 'dropper');
    const client = await mqtt.connectAsync(testEndpoints().legacyBrokerUrl, {
      clientId: unique('dropper'),
    });
    const message: Telemetry = { id: unique('dropped'), device: 'x', seq: 1, sentAtMs: Date.now() };
    ledger.record('sent', 'device-to-backend', message.id);
    await client.publishAsync(TOPICS.telemetry(unique('nobody')), JSON.stringify(message), {
      qos: 1,
    });
    await client.endAsync();
    ledger.close();

    const report = reconcileLedger(ledgerDir)['device-to-backend'];
    expect(report.lost).toBe(1);
    expect(report.lostSample).toEqual([message.id]);
  });
});
