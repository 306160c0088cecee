import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pino from 'pino';

import {
  type BridgeConfig,
  type BridgeConfigInput,
  type BridgeHandle,
  parseBridgeConfig,
  startBridge,
} from '../../../bridge';
import {
  type BrokerOptions,
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { connectRecording, eventually, type RecordingClient } from '../../support/mqtt-clients';

/** A bridge config between two test brokers; `overrides` replace top-level fields. */
export function bridgeConfigInput(
  legacy: TestBroker,
  iot: TestIotCoreBroker,
  overrides: Partial<BridgeConfigInput> = {},
): BridgeConfigInput {
  const cert = iot.clientCert('bridge');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-bridge-'));
  return {
    bridgeId: 'fs',
    instanceId: 'i0',
    direction: 'device-to-backend',
    legacy: { url: legacy.url, keepaliveSeconds: 5 },
    iotCore: {
      url: iot.url,
      keepaliveSeconds: 5,
      tls: { caFile: iot.caFile, certFile: cert.certFile, keyFile: cert.keyFile },
    },
    sharedGroup: 'br',
    routes: {
      'device-to-backend': [{ filter: 'dev/#' }],
      'backend-to-device': [{ filter: 'cmd/#' }],
    },
    downstream: { connections: 2, publishesPerSecond: 5000, maxInFlight: 100 },
    reconnect: { minMs: 100, maxMs: 1000 },
    deadLetter: { kind: 'file', path: path.join(dir, 'dead-letter.jsonl') },
    drainTimeoutSeconds: 10,
    ...overrides,
  };
}

/** Parses a config input (so tests go through validation too). */
export function bridgeConfig(input: BridgeConfigInput): BridgeConfig {
  return parseBridgeConfig(input);
}

/** Starts a bridge in-process with logs kept quiet, and waits until it is healthy. */
export async function runBridge(input: BridgeConfigInput): Promise<BridgeHandle> {
  const bridge = await startBridge(bridgeConfig(input), { log: pino({ level: 'silent' }) });
  await waitFor(() => bridge.health().status === 'ok', 'bridge healthy', 10_000);
  // The subscription follows the connection; give the SUBACK a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return bridge;
}

/** A recording client on the IoT Core stand-in. */
export function iotClient(
  iot: TestIotCoreBroker,
  name: string,
  protocolVersion: 4 | 5 = 5,
): Promise<RecordingClient> {
  return connectRecording(iot.url, { ...iot.clientTls(name), protocolVersion });
}

/** A recording client on the legacy broker. */
export function legacyClient(
  legacy: TestBroker,
  protocolVersion: 4 | 5 = 5,
  clientId?: string,
): Promise<RecordingClient> {
  return connectRecording(legacy.url, { protocolVersion, ...(clientId ? { clientId } : {}) });
}

/** Polls until `condition` holds: the suite's one helper, under the name these tests use. */
export const waitFor = eventually;

/** Waits a fixed time, to show that something does NOT happen. */
export function settle(ms = 500): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The two brokers of a test file, a device on the legacy one, a backend on IoT Core. */
export interface BrokerScene {
  legacy: TestBroker;
  iot: TestIotCoreBroker;
  device: RecordingClient;
  /** Subscribed at QoS 1 to `dev/#`, or to the file's `backendFilter`. */
  backend: RecordingClient;
}

/** The scene of a file whose tests each connect a backend of their own. */
export type DeviceScene = Omit<BrokerScene, 'backend'>;

/** How a file's scene differs from the usual one. */
export interface BrokerSceneOptions {
  legacy?: BrokerOptions;
  iot?: BrokerOptions;
  /** Certificate name of the backend, the name the IoT Core stand-in's log shows it under. */
  backendName?: string;
  /** Topic filter of the backend, for a file whose routes carry more than `dev/#`. */
  backendFilter?: string;
  /**
   * `false` when each test connects its own backend (own filter, name or session): an idle
   * extra subscriber would still be sent every message and change the load on IoT Core.
   */
  backend?: boolean;
}

/**
 * Starts the scene before the tests of the calling describe block and stops it after them.
 * Its fields are set once `beforeAll` has run, so tests read them through the returned object.
 */
export function useBrokerScene(options: BrokerSceneOptions & { backend: false }): DeviceScene;
export function useBrokerScene(options?: BrokerSceneOptions): BrokerScene;
export function useBrokerScene(options: BrokerSceneOptions = {}): BrokerScene {
  const scene = {} as BrokerScene;
  beforeAll(async () => {
    scene.legacy = await startLegacyBroker(options.legacy);
    scene.iot = await startIotCoreBroker(options.iot);
    scene.device = await legacyClient(scene.legacy);
    if (options.backend === false) return;
    scene.backend = await iotClient(scene.iot, options.backendName ?? 'backend');
    await scene.backend.client.subscribeAsync(options.backendFilter ?? 'dev/#', { qos: 1 });
  });
  afterAll(async () => {
    await scene.device?.client.endAsync();
    await scene.backend?.client.endAsync();
    await scene.iot?.stop();
    await scene.legacy?.stop();
  });
  return scene;
}
