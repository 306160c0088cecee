import path from 'node:path';

import { type BridgeConfigInput } from '../../../bridge';
import { type BridgeProcess, healthy, spawnBridgeProcess } from './bridge-process';
import { bridgeConfigInput, settle, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(60_000);

/** `fleetshift bridge --config FILE` as the ECS agent runs it. */
function runProcess(input: unknown, name: string, dir: string): Promise<BridgeProcess> {
  return spawnBridgeProcess(input, path.join(dir, `${name}.json`));
}

describe('the bridge process', () => {
  const scene = useBrokerScene({ backendName: 'process-backend' });

  it('refuses a bad config with every problem and its path, and exits non-zero', async () => {
    const input = bridgeConfigInput(scene.legacy, scene.iot) as BridgeConfigInput &
      Record<string, unknown>;
    const dir = path.dirname((input.deadLetter as { path: string }).path);
    const bad = {
      ...input,
      direction: 'both-ways',
      downstream: { connections: 0 },
      legacy: { url: 'legacy.example' },
    };
    const run = await runProcess(bad, 'bad', dir);
    expect(await run.exit).toBe(1);
    const message = run.stderr();
    expect(message).toContain('direction:');
    expect(message).toContain('downstream.connections:');
    expect(message).toContain('legacy.url:');
  });

  it('on SIGTERM forwards what it took, takes nothing new, exits 0; the rest waits in its session', async () => {
    // 20 publishes per second downstream: most of the 100 are still waiting when SIGTERM comes.
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'drain',
      sharedGroup: 'drain',
      downstream: { connections: 1, publishesPerSecond: 20, maxInFlight: 100 },
    });
    const dir = path.dirname((input.deadLetter as { path: string }).path);
    const first = await runProcess(input, 'drain-1', dir);
    const deadline = Date.now() + 20_000;
    while (!(await healthy(first.port)) && Date.now() < deadline) await settle(100);
    await settle(300);

    for (let n = 0; n < 100; n += 1)
      await scene.device.client.publishAsync(`dev/d/${n}`, String(n), { qos: 1 });
    await settle(500);
    first.child.kill('SIGTERM');
    await settle(200);
    // Published while draining: not taken, so they wait in the instance's session.
    for (let n = 100; n < 150; n += 1) {
      await scene.device.client.publishAsync(`dev/d/${n}`, String(n), { qos: 1 });
    }
    expect(await first.exit).toBe(0);
    const drained = new Set(scene.backend.received.map((m) => Number(m.payload)));
    // Everything taken before SIGTERM was forwarded before exit (20/s: seconds of work).
    for (let n = 0; n < 100; n += 1) expect(drained.has(n)).toBe(true);
    for (let n = 100; n < 150; n += 1) expect(drained.has(n)).toBe(false);

    // The same instance id resumes its session and forwards what the broker kept for it.
    const second = await runProcess(input, 'drain-2', dir);
    try {
      await waitFor(
        () => new Set(scene.backend.received.map((m) => m.payload)).size === 150,
        'all 150 after the restart',
        30_000,
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exit;
    }
  });
});
