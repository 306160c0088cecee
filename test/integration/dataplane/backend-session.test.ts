import mqtt, { type MqttClient } from 'mqtt';

import {
  type BackendHandle,
  type LedgerWriter,
  openLedger,
  reconcileLedger,
  startBackend,
  type Telemetry,
  TOPICS,
} from '../../../sandbox/dataplane';
import { startLegacyBroker, type TestBroker } from '../../support/brokers';
import { type MqttLink, openMqttLink } from '../../support/mqtt-link';
import { tempDir, unique, waitFor } from './fixtures';

jest.setTimeout(60_000);

/** Publishes numbered telemetry as devices do, each message written to the ledger first. */
class TelemetrySource {
  private seq = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly ledger: LedgerWriter,
    private readonly name: string,
  ) {}

  static async open(url: string, ledgerDir: string): Promise<TelemetrySource> {
    const name = unique('source');
    const client = await mqtt.connectAsync(url, { clientId: name, protocolVersion: 5 });
    return new TelemetrySource(client, openLedger(ledgerDir, name, 50), name);
  }

  /** Publishes `count` messages at once and resolves when the broker acked them all. */
  async publish(count: number): Promise<void> {
    const acked: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      this.seq += 1;
      const device = `${this.name}-d${this.seq % 7}`;
      const message: Telemetry = {
        id: `${this.name}.${this.seq}`,
        device,
        seq: this.seq,
        sentAtMs: Date.now(),
      };
      this.ledger.record('sent', 'device-to-backend', message.id);
      const payload = JSON.stringify(message);
      acked.push(this.client.publishAsync(TOPICS.telemetry(device), payload, { qos: 1 }));
    }
    await Promise.all(acked);
  }

  /** Publishes one message every `everyMs` until the returned function is called. */
  steady(everyMs: number): () => Promise<void> {
    const inFlight: Promise<void>[] = [];
    const timer = setInterval(() => inFlight.push(this.publish(1)), everyMs);
    return async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    };
  }

  async close(): Promise<void> {
    await this.client.endAsync();
    this.ledger.close();
  }
}

/**
 * What a backend process killed with SIGKILL leaves behind: a persistent session, still a member
 * of the shared group, that the broker keeps handing telemetry to.
 */
async function crashedInstance(url: string, instanceId: string, group: string): Promise<void> {
  const client = await mqtt.connectAsync(url, {
    clientId: `backend-${instanceId}`,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
    reconnectPeriod: 0,
  });
  await client.subscribeAsync(TOPICS.sharedTelemetry(group), { qos: 1 });
  client.stream.destroy(); // no DISCONNECT: the broker keeps the session
  await waitFor(() => client.stream.destroyed, 'the crashed connection to close');
}

/** Sessions, resubscriptions and scale-down of the sample backend against a real Mosquitto. */
describe('the sample backend on a real broker', () => {
  let broker: TestBroker;
  let link: MqttLink;
  const running: BackendHandle[] = [];
  const sources: TelemetrySource[] = [];

  beforeAll(async () => {
    broker = await startLegacyBroker();
  });
  beforeEach(async () => {
    link = await openMqttLink(broker.port);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((b) => b.stop().catch(() => undefined)));
    await Promise.all(sources.splice(0).map((s) => s.close().catch(() => undefined)));
    await link.close();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const backend = async (url: string, instanceId: string, group: string, ledgerDir: string) => {
    const handle = await startBackend({
      instanceId,
      brokerUrl: url,
      group,
      commandEvery: 0,
      drainMs: 5000,
      ledgerDir,
    });
    running.push(handle);
    return handle;
  };
  const source = async (ledgerDir: string): Promise<TelemetrySource> => {
    const opened = await TelemetrySource.open(broker.url, ledgerDir);
    sources.push(opened);
    return opened;
  };
  const stopAll = async (...handles: BackendHandle[]): Promise<void> => {
    for (const handle of handles) {
      await handle.stop();
      running.splice(running.indexOf(handle), 1);
    }
  };

  it('records every message the broker queued for a crashed instance it replaces', async () => {
    const ledgerDir = tempDir('backend-resume');
    const group = unique('grp');
    const instanceId = unique('slot');
    await crashedInstance(broker.url, instanceId, group);
    // The crashed instance is the group's only member: the broker queues all 50 for it.
    const devices = await source(ledgerDir);
    await devices.publish(50);

    const replacement = await backend(broker.url, instanceId, group, ledgerDir);
    // On a timeout the ledger below names what is missing.
    await waitFor(() => replacement.counters().telemetryReceived >= 50, 'all 50', 3000).catch(
      () => undefined,
    );
    await stopAll(replacement);

    expect(reconcileLedger(ledgerDir)['device-to-backend']).toMatchObject({ sent: 50, lost: 0 });
  });

  it('loses nothing while a lone instance resubscribes its resumed session', async () => {
    const ledgerDir = tempDir('backend-resubscribe');
    const group = unique('grp');
    const lone = await backend(link.url, unique('lone'), group, ledgerDir);
    const devices = await source(ledgerDir);
    const stopPublishing = devices.steady(10);

    // A slow network widens every round trip of the resubscription to 300 ms.
    link.lag(300);
    link.cut();
    const before = lone.counters().telemetryReceived;
    await waitFor(() => lone.counters().telemetryReceived > before + 200, 'traffic after resume');
    link.lag(0);
    await stopPublishing();
    await stopAll(lone);

    const report = reconcileLedger(ledgerDir)['device-to-backend'];
    expect(report.sent).toBeGreaterThan(200);
    expect(report).toMatchObject({ lost: 0, lostSample: [] });
  });

  it('takes what the broker queued for it before a scaled-down instance leaves', async () => {
    const ledgerDir = tempDir('backend-drain');
    const group = unique('grp');
    // The leaving instance stopped reading for a while (a busy process): the broker has sent
    // it a window of messages and queues the rest of its share in the session.
    const leaving = await backend(link.url, unique('leaving'), group, ledgerDir);
    const staying = await backend(broker.url, unique('staying'), group, ledgerDir);
    const devices = await source(ledgerDir);
    // Each window the broker sends takes a round trip of 40 ms or more from here on.
    link.lag(20);
    link.hold();
    await devices.publish(300);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const stopping = leaving.stop();
    link.release();
    await stopping;
    running.splice(running.indexOf(leaving), 1);
    await devices.publish(100); // only the staying instance is left to take these
    await stopAll(staying);

    const report = reconcileLedger(ledgerDir)['device-to-backend'];
    expect(report).toMatchObject({ sent: 400, lost: 0, lostSample: [] });
    expect(leaving.counters().telemetryReceived).toBeGreaterThanOrEqual(100);
  });
});
