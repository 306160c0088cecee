import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import mqtt from 'mqtt';

import { ensureCustomerCa, issueClientCertificate } from '../../../sandbox';
import { connectRecording, eventually, type RecordingClient } from '../../support/mqtt-clients';
import { iotCoreTls, testEndpoints } from '../../support/sandbox';

const VERSIONS = [
  { name: 'MQTT 3.1.1', protocolVersion: 4 as const },
  { name: 'MQTT 5', protocolVersion: 5 as const },
];

type BrokerCase = { name: string; url: () => string; tls: () => mqtt.IClientOptions };

const BROKERS: BrokerCase[] = [
  { name: 'legacy broker', url: () => testEndpoints().legacyBrokerUrl, tls: () => ({}) },
  {
    name: 'IoT Core stand-in',
    url: () => testEndpoints().iotCoreBrokerUrl,
    tls: () => iotCoreTls(),
  },
];

describe.each(BROKERS)('the $name', (broker) => {
  const clients: mqtt.MqttClient[] = [];
  const connect = async (options: mqtt.IClientOptions): Promise<RecordingClient> => {
    const recording = await connectRecording(broker.url(), { ...broker.tls(), ...options });
    clients.push(recording.client);
    return recording;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  it.each(VERSIONS)('carries a QoS 1 message with $name', async ({ protocolVersion }) => {
    const topic = `foundation/${protocolVersion}/${Date.now()}`;
    const subscriber = await connect({ protocolVersion });
    await subscriber.client.subscribeAsync(topic, { qos: 1 });
    const publisher = await connect({ protocolVersion });

    await publisher.client.publishAsync(topic, 'telemetry-1', { qos: 1 });

    await eventually(() => subscriber.received.length === 1, 'the message');
    expect(subscriber.received[0]).toMatchObject({ topic, payload: 'telemetry-1', qos: 1 });
  });

  it.each(VERSIONS)('balances a shared subscription with $name', async ({ protocolVersion }) => {
    const topic = `shared/${protocolVersion}/${Date.now()}`;
    const members = [await connect({ protocolVersion }), await connect({ protocolVersion })];
    for (const member of members) {
      await member.client.subscribeAsync(`$share/foundation/${topic}`, { qos: 1 });
    }
    const publisher = await connect({ protocolVersion });

    for (let i = 0; i < 10; i += 1) await publisher.client.publishAsync(topic, `${i}`, { qos: 1 });

    const all = (): string[] => members.flatMap((m) => m.received.map((r) => r.payload));
    await eventually(() => all().length === 10, 'ten messages across the group');
    expect(all().sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i}`),
    );
    expect(members.every((m) => m.received.length > 0)).toBe(true);
  });
});

describe('the IoT Core stand-in', () => {
  it('grants at most QoS 1, as IoT Core does', async () => {
    const client = await mqtt.connectAsync(testEndpoints().iotCoreBrokerUrl, {
      ...iotCoreTls(),
      reconnectPeriod: 0,
    });
    const granted = await client.subscribeAsync('qos/check', { qos: 2 });
    await client.endAsync();
    expect(granted[0].qos).toBe(1);
  });

  it('refuses a client without a certificate', async () => {
    const { ca } = iotCoreTls();
    await expect(
      mqtt.connectAsync(testEndpoints().iotCoreBrokerUrl, {
        ca,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow();
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const otherCaDir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-other-ca-'));
    ensureCustomerCa(otherCaDir, 'someone else CA');
    const stranger = issueClientCertificate(otherCaDir, 'stranger');
    const { ca } = iotCoreTls();

    await expect(
      mqtt.connectAsync(testEndpoints().iotCoreBrokerUrl, {
        ca,
        cert: readFileSync(stranger.cert),
        key: readFileSync(stranger.key),
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow();
    // The stranger's certificate really is well formed: only its issuer is wrong.
    expect(
      execFileSync('openssl', ['x509', '-in', stranger.cert, '-noout', '-issuer']).toString(),
    ).toMatch(/someone else CA/);
  });
});
