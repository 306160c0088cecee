// Attack: session resume. A bridge instance with a persistent session goes away while the
// upstream broker queues thousands of messages for it; on reconnect the broker sends CONNACK
// and the first queued PUBLISHes back to back (one TCP read). Every message must be forwarded
// and acked, and the broker's in-flight window (kept small here) must never stall.
import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

import pino from 'pino';

import { type BridgeConfigInput, type BridgeHandle, startBridge } from '../../../bridge';
import { type RecordingClient } from '../../support/mqtt-clients';
import { type BridgeProcess, spawnBridgeProcess, untilHealthy } from './bridge-process';
import {
  bridgeConfig,
  bridgeConfigInput,
  iotClient,
  legacyClient,
  settle,
  useBrokerScene,
  waitFor,
} from './fixtures';

jest.setTimeout(60_000);

const TOTAL = 3000;

/** Publishes `from..to-1` as QoS 1, many in flight at once. */
async function publishRange(
  client: RecordingClient,
  from: number,
  to: number,
  topic: (n: number) => string,
): Promise<void> {
  for (let start = from; start < to; start += 250) {
    const batch: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(to, start + 250); n += 1) {
      batch.push(client.client.publishAsync(topic(n), String(n), { qos: 1 }));
    }
    await Promise.all(batch);
  }
}

function tally(client: RecordingClient, prefix: string, total: number) {
  const mine = (): string[] =>
    client.received.filter((m) => m.topic.startsWith(prefix)).map((m) => m.payload);
  return {
    missing: (): number[] => {
      const seen = new Set(mine().map(Number));
      return Array.from({ length: total }, (_, n) => n).filter((n) => !seen.has(n));
    },
    dups: (): number => mine().length - new Set(mine()).size,
  };
}

/** The bridge with its warn+ log lines captured, so a reconnect reason shows up. */
async function startLogged(
  input: BridgeConfigInput,
): Promise<{ bridge: BridgeHandle; logs: string[] }> {
  const logs: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) });
  const bridge = await startBridge(bridgeConfig(input), { log });
  await waitFor(() => bridge.health().status === 'ok', 'bridge healthy', 10_000);
  await settle(200);
  return { bridge, logs };
}

async function reconnects(bridge: BridgeHandle, side: 'upstream' | 'downstream'): Promise<number> {
  const metric = await bridge.metrics.reconnects.get();
  return metric.values.filter((v) => v.labels.side === side).reduce((s, v) => s + v.value, 0);
}

describe('attack: session resume with a burst of queued messages', () => {
  // A small in-flight window: the broker sends 5 and waits for acks before the next ones.
  const scene = useBrokerScene({
    legacy: { extraConfig: ['max_inflight_messages 5'] },
    iot: { extraConfig: ['max_inflight_messages 5'] },
    backendName: 'resume-backend',
  });

  it.each([4, 5] as const)(
    'forwards and acks all %i-upstream messages queued while the instance was stopped',
    async (version) => {
      const prefix = `dev/q${version}/`;
      const input = bridgeConfigInput(scene.legacy, scene.iot, {
        instanceId: `resume${version}`,
        sharedGroup: `resume${version}`,
      });
      input.legacy = { ...input.legacy, protocolVersion: version };
      const first = await startLogged(input);
      await first.bridge.stop();

      await publishRange(scene.device, 0, TOTAL, (n) => `${prefix}${n % 10}`);
      const count = tally(scene.backend, prefix, TOTAL);

      const { bridge, logs } = await startLogged(input);
      try {
        await waitFor(() => count.missing().length === 0, `all ${TOTAL} queued messages`, 30_000);
        // Nothing left un-acked: the broker's window is free, and fresh traffic flows.
        await waitFor(() => bridge.health().inFlight === 0, 'every ack released', 5000);
        await publishRange(scene.device, TOTAL, TOTAL + 20, (n) => `${prefix}${n % 10}`);
        const after = tally(scene.backend, prefix, TOTAL + 20);
        await waitFor(() => after.missing().length === 0, 'traffic after the burst', 5000);
        console.log(
          `resume v${version}: ${TOTAL} queued, ${count.dups()} duplicates, ` +
            `${await reconnects(bridge, 'upstream')} upstream reconnects`,
        );
        expect(await reconnects(bridge, 'upstream')).toBe(0);
        expect(logs.filter((l) => /malformed|connection lost/.test(l))).toEqual([]);
        expect(count.dups()).toBe(0);
      } finally {
        await bridge.stop();
      }
    },
  );

  it('loses nothing published live while the instance resumes a session with a backlog', async () => {
    const prefix = 'dev/live/';
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'live',
      sharedGroup: 'live',
    });
    const first = await startLogged(input);
    await first.bridge.stop();
    // A backlog queued while it was away, then live traffic that keeps going through the resume.
    await publishRange(scene.device, 0, TOTAL, (n) => `dev/backlog/${n % 10}`);
    let live = 0;
    let noSubscriber = 0;
    let running = true;
    // MQTT 5 reason code 16 in the PUBACK: "no matching subscribers", the broker dropped it.
    const onAck = (packet: { cmd: string; reasonCode?: number }): void => {
      if (packet.cmd === 'puback' && packet.reasonCode === 16) noSubscriber += 1;
    };
    scene.device.client.on('packetreceive', onAck);
    const publishing = (async () => {
      while (running) {
        await scene.device.client.publishAsync(`${prefix}${live % 10}`, String(live), { qos: 1 });
        live += 1;
        await settle(1);
      }
    })();
    await settle(300);
    const { bridge } = await startLogged(input);
    try {
      await settle(1500);
      running = false;
      await publishing;
      scene.device.client.removeListener('packetreceive', onAck);
      const count = tally(scene.backend, prefix, live);
      await waitFor(() => count.missing().length === 0, `all ${live} live numbers`, 10_000).catch(
        () => undefined,
      );
      const missing = count.missing();
      console.log(
        `live during resume: ${live} published, ${missing.length} lost ` +
          `(${noSubscriber} acked by the broker with "no matching subscribers"), ` +
          `first lost ${missing.slice(0, 5).join(',')}`,
      );
      expect(missing).toEqual([]);
    } finally {
      await bridge.stop();
    }
  });

  it('backend-to-device over TLS upstream: queued burst on resume, no protocol errors', async () => {
    const legacySub = await legacyClient(scene.legacy, 5, 'resume-b2d-sub');
    await legacySub.client.subscribeAsync('cmd/#', { qos: 1 });
    const publisher = await iotClient(scene.iot, 'resume-b2d-pub');
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      direction: 'backend-to-device',
      instanceId: 'resumeb2d',
      sharedGroup: 'resumeb2d',
    });
    input.iotCore = { ...input.iotCore, protocolVersion: 4 };
    try {
      const first = await startLogged(input);
      await first.bridge.stop();
      await publishRange(publisher, 0, TOTAL, (n) => `cmd/q/${n % 10}`);
      const count = tally(legacySub, 'cmd/q/', TOTAL);
      const { bridge, logs } = await startLogged(input);
      try {
        await waitFor(() => count.missing().length === 0, `all ${TOTAL} queued commands`, 30_000);
        await waitFor(() => bridge.health().inFlight === 0, 'every ack released', 5000);
        console.log(
          `resume b2d: ${TOTAL} queued, ${count.dups()} duplicates, ` +
            `${await reconnects(bridge, 'upstream')} upstream reconnects`,
        );
        expect(logs.filter((l) => /connection lost/.test(l))).toEqual([]);
        expect(await reconnects(bridge, 'upstream')).toBe(0);
      } finally {
        await bridge.stop();
      }
    } finally {
      await publisher.client.endAsync();
      await legacySub.client.endAsync();
    }
  });

  it('a SIGKILLed instance resumes its session: every message arrives, none stuck', async () => {
    const prefix = 'dev/k/';
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'resumekill',
      sharedGroup: 'rk',
    });
    input.legacy = { ...input.legacy, protocolVersion: 4 };
    let proc = await startBridgeProcess(input);
    const count = tally(scene.backend, prefix, TOTAL);
    try {
      // Half while it runs, kill it in the middle of the traffic, the rest while it is dead.
      const running = publishRange(scene.device, 0, TOTAL / 2, (n) => `${prefix}${n % 10}`);
      await settle(50);
      proc.child.kill('SIGKILL');
      await running;
      await publishRange(scene.device, TOTAL / 2, TOTAL, (n) => `${prefix}${n % 10}`);
      proc = await startBridgeProcess(input);
      await waitFor(() => count.missing().length === 0, 'every number', 30_000);
      // The restarted instance owes nothing: no message is stuck un-acked at the broker.
      let inFlight = -1;
      for (let i = 0; i < 50 && inFlight !== 0; i += 1) {
        const res = await fetch(`http://127.0.0.1:${proc.port}/healthz`);
        inFlight = ((await res.json()) as { inFlight: number }).inFlight;
        if (inFlight !== 0) await settle(100);
      }
      expect(inFlight).toBe(0);
      console.log(`resume after SIGKILL: ${TOTAL} numbers, ${count.dups()} duplicates`);
      expect(count.missing()).toEqual([]);
    } finally {
      await stopProcess(proc.child);
    }
  });
});

/** The bridge as its own process; each start writes its config to a file of its own. */
async function startBridgeProcess(input: BridgeConfigInput): Promise<BridgeProcess> {
  const dir = path.dirname((input.deadLetter as { path: string }).path);
  const file = path.join(dir, `${input.instanceId}-${randomUUID().slice(0, 8)}.json`);
  const bridge = await spawnBridgeProcess(input, file);
  await untilHealthy(bridge);
  return bridge;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
