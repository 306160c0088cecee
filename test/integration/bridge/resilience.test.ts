import { type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { type BridgeConfigInput, type BridgeHandle } from '../../../bridge';
import { type RecordingClient } from '../../support/mqtt-clients';
import { spawnBridgeProcess, untilHealthy } from './bridge-process';
import {
  bridgeConfigInput,
  iotClient,
  runBridge,
  settle,
  useBrokerScene,
  waitFor,
} from './fixtures';

jest.setTimeout(60_000);

/** Counts each number received (payload `n`) so tests see losses and duplicates. */
function tally(client: RecordingClient, total: number): { missing(): number[]; dups(): number } {
  return {
    missing: () => {
      const seen = new Set(client.received.map((m) => Number(m.payload)));
      return Array.from({ length: total }, (_, n) => n).filter((n) => !seen.has(n));
    },
    dups: () => client.received.length - new Set(client.received.map((m) => m.payload)).size,
  };
}

async function publishNumbered(
  device: RecordingClient,
  total: number,
  topic: (n: number) => string,
  everyMs = 0,
  onHalf?: () => void,
): Promise<void> {
  for (let n = 0; n < total; n += 1) {
    if (n === Math.floor(total / 2)) onHalf?.();
    await device.client.publishAsync(topic(n), String(n), { qos: 1 });
    if (everyMs) await settle(everyMs);
  }
}

describe('bridge resilience against real brokers', () => {
  const scene = useBrokerScene({ backend: false });

  it('deletes the retained value on IoT Core when the delete was published while it was down', async () => {
    const input = bridgeConfigInput(scene.legacy, scene.iot, { instanceId: 'retain' });
    let bridge = await runBridge(input);
    await scene.device.client.publishAsync('dev/1/cfg', 'v1', { qos: 1, retain: true });
    const first = await iotClient(scene.iot, 'retain-check-1');
    await first.client.subscribeAsync('dev/1/cfg', { qos: 1 });
    await waitFor(() => first.received.some((m) => m.retain && m.payload === 'v1'), 'v1 retained');
    await first.client.endAsync();

    await bridge.stop();
    await scene.device.client.publishAsync('dev/1/cfg', '', { qos: 1, retain: true });
    await settle(300);
    bridge = await runBridge(input);
    try {
      await waitFor(() => bridge.metrics.totals.forwarded >= 1, 'the queued delete forwarded');
      const second = await iotClient(scene.iot, 'retain-check-2');
      await second.client.subscribeAsync('dev/1/cfg', { qos: 1 });
      await settle(500);
      expect(second.received).toEqual([]);
      await second.client.endAsync();
    } finally {
      await bridge.stop();
    }
  });

  it('forwards each message once with three instances in one shared group', async () => {
    const backend = await iotClient(scene.iot, 'replicas');
    await backend.client.subscribeAsync('dev/r/#', { qos: 1 });
    const bridges = await Promise.all(
      ['r0', 'r1', 'r2'].map((id) =>
        runBridge(
          bridgeConfigInput(scene.legacy, scene.iot, { instanceId: id, sharedGroup: 'replicas' }),
        ),
      ),
    );
    try {
      await publishNumbered(scene.device, 300, (n) => `dev/r/${n % 7}`);
      const count = tally(backend, 300);
      await waitFor(() => count.missing().length === 0, 'all 300', 15_000);
      await settle(300);
      expect(count.dups()).toBe(0);
      expect(backend.received).toHaveLength(300);
      // The group really spread the load.
      for (const bridge of bridges) expect(bridge.metrics.totals.forwarded).toBeGreaterThan(0);
    } finally {
      await Promise.all(bridges.map((b) => b.stop()));
      await backend.client.endAsync();
    }
  });

  it('loses nothing when one of three bridge processes is killed half way', async () => {
    const backend = await iotClient(scene.iot, 'crash');
    await backend.client.subscribeAsync('dev/k/#', { qos: 1 });
    const processes = await Promise.all(
      ['k0', 'k1', 'k2'].map((id) =>
        startBridgeProcess(
          bridgeConfigInput(scene.legacy, scene.iot, { instanceId: id, sharedGroup: 'crash' }),
        ),
      ),
    );
    try {
      await publishNumbered(
        scene.device,
        1000,
        (n) => `dev/k/${n % 10}`,
        1,
        () => processes[0].child.kill('SIGKILL'),
      );
      const count = tally(backend, 1000);
      // The killed instance's unacked messages wait in its session; it comes back, as ECS would.
      await settle(500);
      processes[0] = await startBridgeProcess(processes[0].input);
      await waitFor(() => count.missing().length === 0, 'every number', 30_000);
      const duplicates = count.dups();
      console.log(`bridge crash test: 1000 numbers, ${duplicates} duplicates`);
      expect(count.missing()).toEqual([]);
      // Duplicates are bounded by what one instance can hold unacked.
      expect(duplicates).toBeLessThanOrEqual(200);
    } finally {
      await Promise.all(processes.map((p) => stopProcess(p.child)));
      await backend.client.endAsync();
    }
  });

  it('loses nothing and settles down when IoT Core stalls for twice the keepalive', async () => {
    const backend = await iotClient(scene.iot, 'stall');
    await backend.client.subscribeAsync('dev/s/#', { qos: 1 });
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'stall',
      sharedGroup: 'stall',
    });
    const keepaliveSeconds = 2;
    input.iotCore = { ...input.iotCore, keepaliveSeconds, connectTimeoutSeconds: 2 };
    const bridge = await runBridge(input);
    try {
      const publishing = publishNumbered(scene.device, 400, (n) => `dev/s/${n % 5}`, 20);
      await settle(1500);
      scene.iot.pause();
      await settle(2 * keepaliveSeconds * 1000);
      scene.iot.resume();
      await publishing;
      const count = tally(backend, 400);
      await waitFor(() => count.missing().length === 0, 'every number', 30_000);
      await waitFor(() => bridge.health().status === 'ok', 'healthy again', 10_000);
      const reconnects = await reconnectCount(bridge);
      await settle(3000);
      // No reconnect loop: once IoT Core answers again the connections stay up.
      expect(await reconnectCount(bridge)).toBe(reconnects);
      expect(reconnects).toBeLessThanOrEqual(10);
      expect(bridge.health().status).toBe('ok');
      const duplicates = count.dups();
      console.log(
        `bridge stall test: 400 numbers, ${duplicates} duplicates, ${reconnects} reconnects`,
      );
      expect(count.missing()).toEqual([]);
      expect(duplicates).toBeLessThanOrEqual(2 * 100);
    } finally {
      await bridge.stop();
      await backend.client.endAsync();
    }
  });
});

async function reconnectCount(bridge: BridgeHandle): Promise<number> {
  const metric = await bridge.metrics.reconnects.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

interface BridgeProcess {
  child: ChildProcess;
  input: BridgeConfigInput;
}

/** Runs `fleetshift bridge --config FILE` as a real process and waits until it is healthy. */
async function startBridgeProcess(input: BridgeConfigInput): Promise<BridgeProcess> {
  const dir = path.dirname((input.deadLetter as { path: string }).path);
  const bridge = await spawnBridgeProcess(input, path.join(dir, `${input.instanceId}.json`));
  await untilHealthy(bridge);
  return { child: bridge.child, input };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
