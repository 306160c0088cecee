// Benchmark: can the fleet simulator hold 10,000 concurrent device connections on this machine?
// It starts its own two brokers (own folder, free ports), a DNS server answering 50/50, and the
// fleet, then prints memory and CPU of the simulator and of each broker while connections hold.
//
//   node -r tsx/cjs test/bench/fleet.ts [devices=10000] [holdSeconds=60]
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';

import { LOOPBACK, type SandboxConfig, sandboxServices } from '../../sandbox';
import {
  type FleetSnapshot,
  sandboxBrokerTargets,
  startDnsServer,
  startFleet,
} from '../../sandbox/dataplane';
import { waitUntil } from '../../sandbox/health';
import { type ProcessRecord, startDetached, stopProcess } from '../../sandbox/processes';

const devices = Number(process.argv[2] ?? 10_000);
const holdSeconds = Number(process.argv[3] ?? 60);
const CLOCK_TICKS = 100; // Linux USER_HZ: /proc times are in 1/100 s

interface ProcessSample {
  rssMb: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const config: SandboxConfig = {
    home: mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-')),
    host: LOOPBACK,
    ports: {
      temporal: 0,
      temporalUi: 0,
      temporalHttp: 0,
      temporalMetrics: 0,
      moto: 0,
      legacyMqtt: await freePort(),
      iotCoreMqtts: await freePort(),
    },
  };
  const brokers = sandboxServices(config).filter((s) => s.name !== 'temporal' && s.name !== 'moto');
  const records: ProcessRecord[] = [];
  for (const broker of brokers) records.push(startDetached(config.home, broker.prepare()));
  for (const broker of brokers) {
    if (!(await waitUntil(() => broker.healthy(), 20_000))) throw new Error(`${broker.name} down`);
  }

  const dns = await startDnsServer({
    recordName: 'mqtt.bench.sandbox',
    source: async () => [
      { setIdentifier: 'legacy', weight: 50, target: 'legacy.broker.sandbox.', ttlSeconds: 5 },
      { setIdentifier: 'iot-core', weight: 50, target: 'iot-core.broker.sandbox.', ttlSeconds: 5 },
    ],
  });
  const startedAt = Date.now();
  const cpuAtStart = process.cpuUsage();
  const fleet = startFleet({
    devices,
    dns: { server: dns.address, recordName: 'mqtt.bench.sandbox' },
    brokers: sandboxBrokerTargets(config),
    idPrefix: 'bench',
    telemetryIntervalMs: 10_000,
    reconnectEveryMs: 120_000,
    connectRatePerSecond: 500,
  });

  const connected = (s: FleetSnapshot): number => s.connected.legacy + s.connected['iot-core'];
  const progress = setInterval(() => {
    const s = fleet.snapshot();
    console.log(`t=${secondsSince(startedAt)}s connected=${connected(s)} ${summary(s)}`);
  }, 5000);
  const allUp = await waitUntil(async () => connected(fleet.snapshot()) >= devices, 300_000, 500);
  const rampSeconds = secondsSince(startedAt);

  // Hold: the figures below are measured over this window, with every device connected.
  const brokerCpuBefore = records.map((r) => sampleProcess(r.pid));
  const cpuBefore = process.cpuUsage();
  const holdStart = Date.now();
  let minConnected = Number.MAX_SAFE_INTEGER;
  while (Date.now() - holdStart < holdSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    minConnected = Math.min(minConnected, connected(fleet.snapshot()));
  }
  const holdWall = (Date.now() - holdStart) / 1000;
  const cpuHold = process.cpuUsage(cpuBefore);
  const brokerAfter = records.map((r) => sampleProcess(r.pid));
  const memory = process.memoryUsage();
  const final = fleet.snapshot();
  clearInterval(progress);

  const cpuRamp = process.cpuUsage(cpuAtStart);
  console.log('\n=== fleet benchmark ===');
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
  console.log(`devices: ${devices} (MQTT 5: ${final.mqtt5Devices}), all connected: ${allUp}`);
  console.log(`ramp to all connected: ${rampSeconds}s at 500 connects/s`);
  console.log(`hold: ${holdWall.toFixed(0)}s, fewest connected during hold: ${minConnected}`);
  console.log(`final: ${summary(final)}`);
  console.log(
    `simulator: rss ${mb(memory.rss)} MB, heap used ${mb(memory.heapUsed)} MB, ` +
      `${(memory.rss / devices / 1024).toFixed(1)} KiB rss per device`,
  );
  console.log(
    `simulator CPU during hold: ${pct(cpuHold.user + cpuHold.system, holdWall * 1e6)}% of one ` +
      `core; since start: ${((cpuRamp.user + cpuRamp.system) / 1e6).toFixed(1)} CPU-s`,
  );
  brokers.forEach((broker, i) => {
    const cpu = brokerAfter[i].cpuSeconds - brokerCpuBefore[i].cpuSeconds;
    console.log(
      `${broker.name}: rss ${brokerAfter[i].rssMb.toFixed(0)} MB, ` +
        `CPU during hold ${pct(cpu, holdWall)}% of one core`,
    );
  });

  await fleet.stop(0);
  await dns.stop();
  for (const record of records) await stopProcess(config.home, record);
}

function summary(s: FleetSnapshot): string {
  return (
    `legacy=${s.connected.legacy} iot-core=${s.connected['iot-core']} ` +
    `sent/s=${s.sentPerSecond} telemetry=${s.telemetrySent} acked=${s.telemetryAcked} ` +
    `connect-errors=${s.connects.legacy.ClientError + s.connects['iot-core'].ClientError} ` +
    `dns-failures=${s.dnsFailures}`
  );
}

function sampleProcess(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: utime and stime are the 12th and 13th (0-based 11 and 12).
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { rssMb: rssKb / 1024, cpuSeconds };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const pct = (used: number, wall: number): string => ((100 * used) / wall).toFixed(0);
const secondsSince = (t: number): string => ((Date.now() - t) / 1000).toFixed(0);

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
