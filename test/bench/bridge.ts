// Benchmark: QoS 1 messages of 200 bytes through Mosquitto's own bridge and through one
// fleetshift bridge process, between the same two brokers, with the same load generator.
// Usage: npm run bench:bridge [-- --json] [--messages N] [--seconds S] [--rounds R] [--mqtt5]
// (defaults: 300,000 messages or 20 s per round, whichever ends first; 5 rounds; MQTT 3.1.1).
// Environment, for exploring: BENCH_UP / BENCH_DOWN (the bridge's upstream and downstream
// connections, default 1 and 2), BENCH_RECEIVE_MAX (the bridge's upstream receive maximum),
// BENCH_SEMI (V8 semi-space MB), BENCH_NODE_FLAGS (more node flags for the bridge process, e.g.
// --trace-gc), BENCH_PROF (CPU profile of the bridge process in /tmp/fsprof).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { PROJECT_ROOT } from '../../sandbox';
import { BRIDGE_NODE_FLAGS } from '../../workers/bridge-launch';
import { freePort, startLegacyBroker, type TestBroker } from '../support/brokers';

/** What one run measured. */
interface RunResult {
  msgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
  duplicates: number;
}

/** One round's result, and how many messages it sent. */
type Measured = RunResult & { sent: number };

const PAYLOAD_BYTES = 200;
const PUBLISHERS = 2;
const PUBLISH_WINDOW = 1000;
/**
 * Messages published and not yet received, across the run. The generator waits above it, so
 * it measures what a bridge sustains instead of filling the upstream broker's queue (which
 * costs CPU the bridge needs, and turns latency into queueing time).
 */
const END_TO_END_WINDOW = 10_000;
// Both brokers may hand out this many unacknowledged messages per client (default 20).
const BROKER_TUNING = [
  'max_inflight_messages 10000',
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
  const messages = arg('--messages', 300_000);
  const seconds = arg('--seconds', 20);
  const roundCount = arg('--rounds', 5);
  // Both bridges speak the same protocol version to both brokers: 3.1.1 unless --mqtt5.
  const protocol = process.argv.includes('--mqtt5') ? 5 : 4;

  const downstream = await startLegacyBroker({ extraConfig: BROKER_TUNING });
  const upstream = await startLegacyBroker({
    extraConfig: [...BROKER_TUNING, ...mosquittoBridgeLines(downstream.port, protocol)],
  });
  let bridge: ChildProcess | undefined;
  const bridgeDir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-bench-'));
  // A bridge that dies mid-run would leave the generator waiting for its messages forever.
  const died = (code: number | null, signal: string | null): void => {
    console.error(`bench:bridge failed: the fleetshift bridge exited (${signal ?? code}) mid-run`);
    void Promise.all([upstream.stop(), downstream.stop()]).finally(() => process.exit(1));
  };
  try {
    bridge = await startFleetshiftBridge(upstream, downstream, protocol, bridgeDir);
    bridge.once('exit', died);
    const rounds = { mosquitto: [] as Measured[], fleetshift: [] as Measured[] };
    // A warm-up round each, not counted: the bridge process compiles its hot paths, and both
    // brokers and the generator size their buffers, before anything is measured.
    const warmUp = Math.min(messages, 50_000);
    await measure(upstream, downstream, 'bench/mosq/warm-up', warmUp, seconds);
    await measure(upstream, downstream, 'bench/fs/warm-up', warmUp, seconds);
    let cpu = [0, 0];
    let fleetshiftSent = 0;
    // Topics of their own per round: a late copy from an earlier round is never counted.
    const mosquittoRound = (round: number): Promise<Measured> =>
      measure(upstream, downstream, `bench/mosq/r${round}`, messages, seconds);
    const fleetshiftRound = async (round: number, pid?: number): Promise<Measured> => {
      const before = cpuSeconds(pid);
      const measured = await measure(upstream, downstream, `bench/fs/r${round}`, messages, seconds);
      cpu = cpuSeconds(pid).map((v, i) => cpu[i] + v - before[i]);
      fleetshiftSent += measured.sent;
      return measured;
    };
    // Alternating rounds, the first of each pair in turn (A B, B A, ...), so a change in the
    // machine's other load hits both bridges alike and neither always goes first.
    for (let round = 1; round <= roundCount; round += 1) {
      if (round % 2 === 1) {
        rounds.mosquitto.push(await mosquittoRound(round));
        rounds.fleetshift.push(await fleetshiftRound(round, bridge.pid));
      } else {
        rounds.fleetshift.push(await fleetshiftRound(round, bridge.pid));
        rounds.mosquitto.push(await mosquittoRound(round));
      }
      if (!json) {
        const [m, f] = [rounds.mosquitto[round - 1], rounds.fleetshift[round - 1]];
        console.log(
          `round ${round}: mosquitto ${m.msgPerSec} msg/s, fleetshift ${f.msgPerSec} msg/s`,
        );
      }
    }
    const mosquitto = summary(rounds.mosquitto);
    const fleetshift = summary(rounds.fleetshift);
    const ratio = roundTo(fleetshift.msgPerSec / mosquitto.msgPerSec, 3);
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
      const perMessageUs = roundTo(((cpu[0] + cpu[1]) * 1e6) / fleetshiftSent, 1);
      console.log(
        `fleetshift bridge process CPU: ${roundTo(cpu[0], 2)} s user, ` +
          `${roundTo(cpu[1], 2)} s system, about ${perMessageUs} µs per message`,
      );
      console.log(
        `ratio fleetshift / mosquitto (MQTT ${protocol === 5 ? '5' : '3.1.1'}, ` +
          `medians of ${roundCount} rounds): ${ratio}`,
      );
    }
    console.log(JSON.stringify(json ? { fleetshift, mosquitto, ratio } : { ratio }));
  } finally {
    bridge?.off('exit', died);
    if (bridge) await stopChild(bridge);
    await upstream.stop();
    await downstream.stop();
    rmSync(bridgeDir, { recursive: true, force: true });
  }
}

/** Mosquitto's bridge, inside the upstream broker, forwarding bench/mosq/# out at QoS 1. */
function mosquittoBridgeLines(port: number, protocol: 4 | 5): string[] {
  return [
    'connection bench-mosquitto-bridge',
    `address 127.0.0.1:${port}`,
    'topic bench/mosq/# out 1',
    `bridge_protocol_version ${protocol === 5 ? 'mqttv50' : 'mqttv311'}`,
    'cleansession false',
    'try_private false',
    'notifications false',
  ];
}

async function startFleetshiftBridge(
  upstream: TestBroker,
  downstream: TestBroker,
  protocolVersion: 4 | 5,
  dir: string,
): Promise<ChildProcess> {
  const file = path.join(dir, 'bridge.json');
  const httpPort = await freePort();
  writeFileSync(
    file,
    JSON.stringify({
      bridgeId: 'bench',
      instanceId: 'bench-0',
      direction: 'device-to-backend',
      // On MQTT 5 legs the bridge adds its hop marker to every message (loop prevention).
      legacy: { url: upstream.url, protocolVersion },
      iotCore: { url: downstream.url, protocolVersion },
      sharedGroup: 'bench',
      routes: { 'device-to-backend': [{ filter: 'bench/fs/#' }] },
      upstream: {
        connections: Number(process.env.BENCH_UP ?? 1),
        ...(process.env.BENCH_RECEIVE_MAX && {
          receiveMaximum: Number(process.env.BENCH_RECEIVE_MAX),
        }),
      },
      // Plain brokers, not IoT Core: the per-connection limits are lifted for the measurement.
      downstream: {
        connections: Number(process.env.BENCH_DOWN ?? 2),
        publishesPerSecond: 1_000_000,
        maxInFlight: 5000,
      },
      deadLetter: { kind: 'file', path: path.join(dir, 'dead-letter.jsonl') },
      http: { port: httpPort },
      logLevel: 'warn',
    }),
  );
  const child = spawn(
    process.execPath,
    [
      ...BRIDGE_NODE_FLAGS,
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fsprof'] : []),
      ...(process.env.BENCH_SEMI ? [`--max-semi-space-size=${process.env.BENCH_SEMI}`] : []),
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
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

/** User and system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number | undefined): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = 100; // USER_HZ on Linux
  return [Number(fields[11]) / ticks, Number(fields[12]) / ticks];
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
 * Each payload carries its number and send time; the receiver counts unique numbers. The load
 * generator speaks MQTT 3.1.1 on raw sockets: a full client library in this process would cap
 * both runs (about 20,000 messages per second here) and hide the difference between bridges.
 */
async function measure(
  upstream: TestBroker,
  downstream: TestBroker,
  prefix: string,
  messages: number,
  seconds: number,
): Promise<Measured> {
  const seen = new Uint8Array(messages);
  const latencies: number[] = [];
  let received = 0;
  let unique = 0;
  let lastAt = 0;
  const receiver = await rawClient(downstream.port, `bench-recv-${prefix.replace('/', '-')}`);
  receiver.onPublish = (payload) => {
    const seq = payload.readUInt32BE(0);
    received += 1;
    lastAt = performance.now();
    if (seq < messages && seen[seq] === 0) {
      seen[seq] = 1;
      unique += 1;
      latencies.push(lastAt - payload.readDoubleBE(4));
    }
  };
  await receiver.subscribe(`${prefix}/#`);

  const publishers = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) => rawClient(upstream.port, `bench-pub-${i}`)),
  );
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let next = 0;
  const take = (): number => {
    if (performance.now() >= stopAt || next >= messages) return -1;
    return next - unique >= END_TO_END_WINDOW ? -2 : next++;
  };
  await Promise.all(publishers.map((client) => client.publishNumbered(prefix, take)));
  const sent = next;
  const settleDeadline = performance.now() + 15_000;
  while (unique < sent && performance.now() < settleDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  [...publishers, receiver].forEach((c) => c.close());

  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    roundTo(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN, 2);
  return {
    msgPerSec: Math.round(unique / ((lastAt - start) / 1000)),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    lost: sent - unique,
    duplicates: received - unique,
    sent,
  };
}

/** A minimal MQTT 3.1.1 client: connect, subscribe at QoS 1, publish QoS 1 in batches. */
interface RawClient {
  onPublish: (payload: Buffer) => void;
  subscribe(filter: string): Promise<void>;
  /** Publishes numbers from `take` until it returns -1 (-2: wait), PUBLISH_WINDOW unacked at most. */
  publishNumbered(prefix: string, take: () => number): Promise<void>;
  close(): void;
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function packet(type: number, body: Buffer): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 128;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...length]), body]);
}

async function rawClient(port: number, clientId: string): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let buffer: Buffer = Buffer.alloc(0);
  let connected: () => void = () => undefined;
  let subscribed: () => void = () => undefined;
  let acked = 0;
  let onAck: () => void = () => undefined;
  const client: RawClient = {
    onPublish: () => undefined,
    subscribe: (filter) =>
      new Promise((resolve) => {
        subscribed = resolve;
        const id = Buffer.from([0, 1]);
        socket.write(packet(0x82, Buffer.concat([id, utf8(filter), Buffer.from([1])])));
      }),
    publishNumbered: (prefix, take) =>
      new Promise((resolve) => {
        let sent = 0;
        let finished = false;
        let waiting = false;
        const topics = Array.from({ length: 100 }, (_, i) => utf8(`${prefix}/${i}`));
        const pump = (): void => {
          const batch: Buffer[] = [];
          while (!finished && sent - acked < PUBLISH_WINDOW && batch.length < 256) {
            const seq = take();
            if (seq === -2) {
              waiting = true;
              break;
            }
            if (seq < 0) {
              finished = true;
              break;
            }
            const body = Buffer.alloc(topics[seq % 100].length + 2 + PAYLOAD_BYTES);
            topics[seq % 100].copy(body, 0);
            const at = topics[seq % 100].length;
            body.writeUInt16BE((sent % 65535) + 1, at);
            body.writeUInt32BE(seq, at + 2);
            body.writeDoubleBE(performance.now(), at + 6);
            batch.push(packet(0x32, body));
            sent += 1;
          }
          if (batch.length) socket.write(Buffer.concat(batch));
          if (finished && acked === sent) resolve();
          else if (waiting) {
            waiting = false;
            setTimeout(pump, 1);
          } else if (!finished && sent - acked < PUBLISH_WINDOW) setImmediate(pump);
        };
        onAck = () => {
          if (finished ? acked === sent : sent - acked === PUBLISH_WINDOW / 2) pump();
        };
        pump();
      }),
    close: () => socket.destroy(),
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    const acks: Buffer[] = [];
    let offset = 0;
    for (;;) {
      if (buffer.length - offset < 2) break;
      let length = 0;
      let multiplier = 1;
      let i = offset + 1;
      let complete = false;
      while (i < buffer.length) {
        const byte = buffer[i++];
        length += (byte & 127) * multiplier;
        multiplier *= 128;
        if ((byte & 128) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || buffer.length - i < length) break;
      const header = buffer[offset];
      const type = header >> 4;
      const body = buffer.subarray(i, i + length);
      offset = i + length;
      if (type === 2) connected();
      else if (type === 9) subscribed();
      else if (type === 4) {
        acked += 1;
        onAck();
      } else if (type === 3) {
        const qos = (header >> 1) & 3;
        const topicLength = body.readUInt16BE(0);
        const idAt = 2 + topicLength;
        const payloadAt = qos > 0 ? idAt + 2 : idAt;
        if (qos > 0) acks.push(Buffer.from([0x40, 2, body[idAt], body[idAt + 1]]));
        client.onPublish(body.subarray(payloadAt));
      }
    }
    buffer = buffer.subarray(offset);
    if (acks.length) socket.write(Buffer.concat(acks));
  });
  await new Promise<void>((resolve, reject) => {
    connected = resolve;
    socket.once('error', reject);
    // Protocol level 4, clean session, keepalive 0: no pings to answer during the run.
    const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, 2, 0, 0])]);
    socket.write(packet(0x10, Buffer.concat([header, utf8(clientId)])));
  });
  return client;
}

/** The median round by throughput; lost and duplicated messages of every round, summed. */
function summary(results: Measured[]): RunResult {
  const median = [...results].sort((a, b) => a.msgPerSec - b.msgPerSec)[
    Math.floor(results.length / 2)
  ];
  return {
    msgPerSec: median.msgPerSec,
    p50Ms: median.p50Ms,
    p99Ms: median.p99Ms,
    lost: results.reduce((sum, r) => sum + r.lost, 0),
    duplicates: results.reduce((sum, r) => sum + r.duplicates, 0),
  };
}

function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((err: Error) => {
  console.error(`bench:bridge failed: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
