// Attack (in-flight window stall, messages stuck un-acked forever): the
// dead-letter store fails once, transiently. The forwarder leaves that message's ticket open
// ("never acked without a safe home"), and upstream acks go out in arrival order, so every
// later ack on that connection waits behind it. Expected: once the store works again the
// message is dead-lettered after all, the acks behind it go out, traffic keeps flowing.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { type BridgeHandle } from '../../../bridge';
import { freePort } from '../../support/brokers';
import { bridgeConfigInput, runBridge, settle, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(60_000);

const DEEP = 'dev/a/b/c/d/e/f/g/h'; // 9 levels: IoT Core refuses it, so it is dead-lettered

describe('attack: a transient dead-letter store failure', () => {
  const scene = useBrokerScene({
    legacy: { extraConfig: ['max_inflight_messages 5'] },
    backendName: 'dl-backend',
  });

  async function afterRepair(
    bridge: BridgeHandle,
    prefix: string,
    deadLettered: () => number,
  ): Promise<void> {
    // The store works again; more traffic, one more dead-letter candidate among it.
    for (let n = 0; n < 30; n += 1) {
      await scene.device.client.publishAsync(`${prefix}${n % 3}`, String(n), { qos: 1 });
    }
    await scene.device.client.publishAsync(DEEP, 'second', { qos: 1 });
    const mine = (): Set<string> =>
      new Set(
        scene.backend.received.filter((m) => m.topic.startsWith(prefix)).map((m) => m.payload),
      );
    await waitFor(() => mine().size === 30, 'the 30 messages', 6000).catch(() => undefined);
    await waitFor(() => bridge.health().inFlight === 0, 'every ack released', 3000).catch(
      () => undefined,
    );
    console.log(
      `${prefix}: ${mine().size}/30 forwarded, in flight ${bridge.health().inFlight}, ` +
        `dead-lettered ${deadLettered()}, bridge says ${bridge.health().status}`,
    );
    expect({
      forwarded: mine().size,
      inFlight: bridge.health().inFlight,
      deadLettered: deadLettered(),
    }).toEqual({ forwarded: 30, inFlight: 0, deadLettered: 2 });
  }

  it.each([4, 5] as const)(
    'file store on a path that is briefly unusable, MQTT %i upstream',
    async (version) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-dl-'));
      const blocker = path.join(dir, 'volume');
      writeFileSync(blocker, 'not a directory yet'); // as if the volume were not mounted yet
      const file = path.join(blocker, 'dead-letter.jsonl');
      const input = bridgeConfigInput(scene.legacy, scene.iot, {
        instanceId: `dlfile${version}`,
        sharedGroup: `dlfile${version}`,
        deadLetter: { kind: 'file', path: file },
        drainTimeoutSeconds: 1,
      });
      input.legacy = { ...input.legacy, protocolVersion: version };
      const bridge = await runBridge(input);
      try {
        await scene.device.client.publishAsync(DEEP, 'first', { qos: 1 });
        await settle(500);
        // The volume appears.
        rmSync(blocker);
        mkdirSync(blocker);
        const lines = (): number => {
          try {
            return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length;
          } catch {
            return 0;
          }
        };
        await afterRepair(bridge, `dev/dlf${version}/`, lines);
      } finally {
        await bridge.stop();
      }
    },
  );

  it('S3 store that answers 503 for a moment (SDK retries exhausted once)', async () => {
    const port = await freePort();
    let failing = true;
    let requests = 0;
    let stored = 0;
    const s3 = http.createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        if (failing) {
          res.writeHead(503, { 'content-type': 'application/xml' });
          res.end(
            '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
          );
          return;
        }
        stored += 1;
        res.writeHead(200, { etag: '"x"' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => s3.listen(port, '127.0.0.1', resolve));
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'dls3',
      sharedGroup: 'dls3',
      deadLetter: {
        kind: 's3',
        bucket: 'dead-letters',
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
      },
      drainTimeoutSeconds: 1,
    });
    input.legacy = { ...input.legacy, protocolVersion: 4 };
    const bridge = await runBridge(input);
    try {
      await scene.device.client.publishAsync(DEEP, 'first', { qos: 1 });
      // The SDK gives up after its attempts; S3 is fine again right after.
      await waitFor(() => requests >= 3, 'the SDK attempts', 15_000);
      await settle(1500);
      failing = false;
      await afterRepair(bridge, 'dev/dls3/', () => stored);
    } finally {
      await bridge.stop();
      await new Promise<void>((resolve) => s3.close(() => resolve()));
    }
  });
});
