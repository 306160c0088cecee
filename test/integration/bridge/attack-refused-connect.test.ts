// Attack (real broker): the upstream broker refuses the bridge's CONNECT for a while (here:
// its user is not yet in the password file, as during a credentials rotation; the same path
// is taken for "server unavailable" or "server busy"), then accepts it. A bridge must keep
// retrying with its backoff and connect once the broker lets it in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pino from 'pino';

import { startBridge } from '../../../bridge';
import {
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { connectRecording, type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfig, bridgeConfigInput, iotClient, settle, waitFor } from './fixtures';

jest.setTimeout(60_000);

describe('attack: the upstream broker refuses the connection for a while', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;
  let passwords: string;
  let device: RecordingClient;
  let backend: RecordingClient;

  beforeAll(async () => {
    passwords = path.join(mkdtempSync(path.join(os.tmpdir(), 'fleetshift-pw-')), 'passwords');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwords, 'device', 'device-pw']);
    legacy = await startLegacyBroker({
      extraConfig: ['allow_anonymous false', `password_file ${passwords}`],
    });
    iot = await startIotCoreBroker();
    device = await connectRecording(legacy.url, { username: 'device', password: 'device-pw' });
    backend = await iotClient(iot, 'refused-backend');
    await backend.client.subscribeAsync('dev/#', { qos: 1 });
  });

  afterAll(async () => {
    await device.client.endAsync();
    await backend.client.endAsync();
    await iot.stop();
    await legacy.stop();
  });

  it.each([5, 4] as const)(
    'MQTT %i: connects once the broker accepts it, after refusing it at first',
    async (version) => {
      const user = `bridge${version}`;
      const input = bridgeConfigInput(legacy, iot, {
        instanceId: `refused${version}`,
        sharedGroup: `refused${version}`,
        reconnect: { minMs: 100, maxMs: 1000 },
      });
      input.legacy = {
        ...input.legacy,
        url: `mqtt://${user}:secret@127.0.0.1:${legacy.port}`,
        protocolVersion: version,
      };
      const logs: string[] = [];
      const bridge = await startBridge(bridgeConfig(input), {
        log: pino({ level: 'debug' }, { write: (l: string) => void logs.push(l) }),
      });
      try {
        await waitFor(
          () => logs.some((l) => /Connection refused/.test(l)),
          'the broker refusing the bridge',
          5000,
        );
        // The operator fixes the credentials; the broker reloads its password file.
        execFileSync('mosquitto_passwd', ['-b', passwords, user, 'secret']);
        process.kill(legacy.pid, 'SIGHUP');
        await settle(500);
        // Control: the broker now accepts these credentials.
        const control = await connectRecording(legacy.url, {
          username: user,
          password: 'secret',
          protocolVersion: version,
        });
        await control.client.endAsync();
        const refusals = logs.filter((l) => /Connection refused/.test(l)).length;
        // With reconnect.maxMs = 1 s the bridge has had several chances by now.
        await waitFor(() => bridge.health().status === 'ok', 'the bridge connected', 8000).catch(
          () => undefined,
        );
        const connects = logs.filter(
          (l) => l.includes('"side":"upstream"') && l.includes('"msg":"connected"'),
        );
        const attempts = logs.filter((l) => l.includes('"msg":"reconnecting"')).length;
        console.log(
          `v${version}: ${refusals} refusal(s), ${connects.length} upstream connect(s), ` +
            `health ${bridge.health().status} (${bridge.health().upstreamConnected} upstream up)`,
        );
        expect({
          health: bridge.health().status,
          upstreamConnected: bridge.health().upstreamConnected,
        }).toEqual({
          health: 'ok',
          upstreamConnected: 1,
        });
        await device.client.publishAsync(`dev/refused/${version}`, 'after', { qos: 1 });
        await waitFor(
          () => backend.received.some((m) => m.topic === `dev/refused/${version}`),
          'traffic after the refusal',
        );
        expect(attempts).toBeGreaterThan(0);
      } finally {
        await bridge.stop();
      }
    },
  );
});
