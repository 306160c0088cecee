// Benchmark: QoS 1 messages of 200 bytes through Mosquitto's own bridge and through one
// fleetshift bridge process, between the same two brokers, with the same load generator.
// Usage: npm run bench:bridge [-- --json] [--messages N] [--seconds S]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import mqtt, { type MqttClient } from 'mqtt';

import { PROJECT_ROOT } from '../../sandbox';
import { freePort, startLegacyBroker, type TestBroker } from '../support/brokers';

/** What one run measured. */
interface RunResult {
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
  duplicates: number;
}

const PAYLOAD_BYTES = 200;
const PUBLISHERS = 2;
const PUBLISH_WINDOW = 1000;
// Both brokers may hand out this many unacknowledged messages per client (default 20).
const BROKER_TUNING = [
  'max_inflight_messages 1000',
  'max_queued_messages 1000000',
  // The test brokers save their store every second; under load that dump dominates.
  'persistence false',
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const messages = arg('--messages', 200_000);
  const seconds = arg('--seconds', 20);

  const downstream = await startLegacyBroker({ extraConfig: BROKER_TUNING });
  const upstream = await startLegacyBroker({
    extraConfig: [...BROKER_TUNING, ...mosquittoBridgeLines(downstream.port)],
  });
  let bridge: ChildProcess | undefined;
  try {
    const mosquitto = await measure(upstream, downstream, 'bench/mosq', messages, seconds);
    bridge = await startFleetshiftBridge(upstream, downstream);
    const fleetshift = await measure(upstream, downstream, 'bench/fs', messages, seconds);
    const ratio = round(fleetshift.msgPerSec / mosquitto.msgPerSec, 3);
    if (!json) {
      for (const [name, r] of [
        ['mosquitto bridge', mosquitto],
        ['fleetshift bridge', fleetshift],
      ] as const) {
        console.log(
          `${name.padEnd(18)} ${String(r.msgPerSec).padStart(7)} msg/s  ` +
            `p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  lost ${r.lost}  duplicates ${r.duplicates}`,
        );
      }
      console.log(`ratio fleetshift / mosquitto: ${ratio}`);
    }
    console.log(JSON.stringify(json ? { fleetshift, mosquitto, ratio } : { ratio }));
  } finally {
    if (bridge) await stopChild(bridge);
    await upstream.stop();
    await downstream.stop();
  }
}

/** Mosquitto's bridge, inside the upstream broker, forwarding bench/mosq/# out at QoS 1. */
function mosquittoBridgeLines(port: number): string[] {
  return [
    'connection bench-mosquitto-bridge',
    `address 127.0.0.1:${port}`,
    'topic bench/mosq/# out 1',
    'bridge_protocol_version mqttv311',
    'cleansession false',
    'try_private false',
    'notifications false',
  ];
}

async function startFleetshiftBridge(
  upstream: TestBroker,
  downstream: TestBroker,
): Promise<ChildProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-bench-'));
  const file = path.join(dir, 'bridge.json');
  const httpPort = await freePort();
  writeFileSync(
    file,
    JSON.stringify({
      bridgeId: 'bench',
      instanceId: 'bench-0',
      direction: 'device-to-backend',
      legacy: { url: upstream.url },
      iotCore: { url: downstream.url },
      sharedGroup: 'bench',
      routes: { 'device-to-backend': [{ filter: 'bench/fs/#' }] },
      upstream: { connections: 2 },
      // Plain brokers, not IoT Core: the per-connection limits are lifted for the measurement.
      downstream: { connections: 4, publishesPerSecond: 1_000_000, maxInFlight: 1000 },
      deadLetter: { kind: 'file', path: path.join(dir, 'dead-letter.jsonl') },
      http: { port: httpPort },
      logLevel: 'warn',
    }),
  );
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fsprof'] : []),
      '-r',
      'tsx/cjs',
      path.join(PROJECT_ROOT, 'workers/bridge.ts'),
      '--config',
      file,
    ],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    },
  );
  const deadline = Date.now() + 20_000;
  while (!(await healthy(httpPort))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('bridge did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  return child;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Publishes numbered messages on the upstream broker and receives them on the downstream one.
 * Each payload carries its number and send time; the receiver counts unique numbers.
 */
async function measure(
  upstream: TestBroker,
  downstream: TestBroker,
  prefix: string,
  messages: number,
  seconds: number,
): Promise<RunResult> {
  const receiver = await mqtt.connectAsync(downstream.url, {
    clientId: `bench-recv-${prefix.replace('/', '-')}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await receiver.subscribeAsync(`${prefix}/#`, { qos: 1 });
  const seen = new Uint8Array(messages);
  const latencies: number[] = [];
  let received = 0;
  let unique = 0;
  let lastAt = 0;
  receiver.on('message', (_topic, payload) => {
    const seq = payload.readUInt32BE(0);
    const sentAt = payload.readDoubleBE(4);
    received += 1;
    lastAt = performance.now();
    if (seq < messages && seen[seq] === 0) {
      seen[seq] = 1;
      unique += 1;
      latencies.push(lastAt - sentAt);
    }
  });

  const publishers = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) =>
      mqtt.connectAsync(upstream.url, {
        clientId: `bench-pub-${i}`,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ),
  );
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let next = 0;
  await Promise.all(
    publishers.map((client) =>
      publishLoop(client, prefix, () =>
        performance.now() < stopAt && next < messages ? next++ : -1,
      ),
    ),
  );
  const sent = next;
  const settleDeadline = performance.now() + 15_000;
  while (unique < sent && performance.now() < settleDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  await Promise.all([...publishers, receiver].map((c) => c.endAsync()));

  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN, 2);
  return {
    msgPerSec: Math.round(unique / ((lastAt - start) / 1000)),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    lost: sent - unique,
    duplicates: received - unique,
  };
}

/** Keeps up to PUBLISH_WINDOW QoS 1 publishes unacknowledged on one connection. */
function publishLoop(client: MqttClient, prefix: string, take: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    let open = 0;
    let finished = false;
    const pump = (): void => {
      while (!finished && open < PUBLISH_WINDOW) {
        const seq = take();
        if (seq < 0) {
          finished = true;
          break;
        }
        const payload = Buffer.alloc(PAYLOAD_BYTES);
        payload.writeUInt32BE(seq, 0);
        payload.writeDoubleBE(performance.now(), 4);
        open += 1;
        client.publish(`${prefix}/${seq % 100}`, payload, { qos: 1 }, (err) => {
          open -= 1;
          if (err) reject(err);
          else pump();
        });
      }
      if (finished && open === 0) resolve();
    };
    pump();
  });
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((err: Error) => {
  console.error(`bench:bridge failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
