import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  ensureCustomerCa,
  issueClientCertificate,
  renderIotCoreBrokerConfig,
  renderLegacyBrokerConfig,
  requireTool,
} from '../../sandbox';

/** A throwaway Mosquitto started by one test file, on a free loopback port. */
export interface TestBroker {
  url: string;
  port: number;
  pid: number;
  /** Stops the process for good and removes its folder. */
  stop(): Promise<void>;
  /** Restarts on the same port with the same persistence folder. */
  restart(): Promise<void>;
  /** SIGSTOP: the broker stops answering but keeps its sockets (a stalled broker). */
  pause(): void;
  /** SIGCONT after {@link TestBroker.pause}. */
  resume(): void;
}

/** The IoT Core stand-in, with the files a client needs for its certificate. */
export interface TestIotCoreBroker extends TestBroker {
  caFile: string;
  /** Issues (once) a client certificate signed by this broker's CA. */
  clientCert(name: string): { certFile: string; keyFile: string };
  /** TLS options for an MQTT.js client. */
  clientTls(name: string): { ca: Buffer; cert: Buffer; key: Buffer };
}

/** Extra Mosquitto lines, e.g. a larger in-flight window for benchmarks. */
export interface BrokerOptions {
  extraConfig?: string[];
}

/** A free TCP port on 127.0.0.1, found by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a plain Mosquitto like the legacy broker (MQTT 3.1.1 and 5, anonymous). */
export async function startLegacyBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-legacy-'));
  const port = await freePort();
  const layout = { bind: '127.0.0.1', port, dataDir: dir, runAsUser: os.userInfo().username };
  const conf = [renderLegacyBrokerConfig(layout), ...(options.extraConfig ?? [])].join('\n');
  return launch(dir, port, `mqtt://127.0.0.1:${port}`, `${conf}\n`);
}

/** Starts a TLS Mosquitto that requires client certificates, like the IoT Core stand-in. */
export async function startIotCoreBroker(options: BrokerOptions = {}): Promise<TestIotCoreBroker> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-iot-'));
  const pki = ensureCustomerCa(path.join(dir, 'pki'));
  const port = await freePort();
  const layout = { bind: '127.0.0.1', port, dataDir: dir, runAsUser: os.userInfo().username };
  const tls = { caFile: pki.ca.cert, certFile: pki.server.cert, keyFile: pki.server.key };
  const conf = [renderIotCoreBrokerConfig(layout, tls), ...(options.extraConfig ?? [])];
  const broker = await launch(dir, port, `mqtts://127.0.0.1:${port}`, `${conf.join('\n')}\n`);
  const clientCert = (name: string): { certFile: string; keyFile: string } => {
    const files = issueClientCertificate(pki.dir, name);
    return { certFile: files.cert, keyFile: files.key };
  };
  return {
    ...broker,
    caFile: pki.ca.cert,
    clientCert,
    clientTls: (name) => {
      const files = clientCert(name);
      return {
        ca: readFileSync(pki.ca.cert),
        cert: readFileSync(files.certFile),
        key: readFileSync(files.keyFile),
      };
    },
  };
}

async function launch(dir: string, port: number, url: string, conf: string): Promise<TestBroker> {
  mkdirSync(dir, { recursive: true });
  const confFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(confFile, conf);
  let child = await spawnBroker(confFile, port, dir);
  const broker: TestBroker = {
    url,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    stop: async () => {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill(child);
      child = await spawnBroker(confFile, port, dir);
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
  return broker;
}

async function spawnBroker(confFile: string, port: number, dir: string): Promise<ChildProcess> {
  const logFile = path.join(dir, 'mosquitto.log');
  const child = spawn(requireTool('mosquitto'), ['-c', confFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      writeFileSync(logFile, stderr);
      throw new Error(`mosquitto did not start on ${port}: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
