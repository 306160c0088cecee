import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { stringify } from 'yaml';

import { type BridgeConfigInput } from '../../bridge';
import { issueClientCertificate } from '../certificates';
import { type SandboxConfig, sandboxEndpoints } from '../config';
import { pkiDir } from '../services';

/** The bridge configuration files the demo's ECS services run, one per direction. */
export interface DemoBridgeConfigs {
  deviceToBackend: string;
  backendToDevice: string;
}

/**
 * Writes the sandbox bridge's two configurations. Device-to-backend replicas share their own
 * group `bridge` on the legacy broker, apart from the legacy backends' group: a broker drops
 * what matches no subscription, so if the bridge took a share of the backends' telemetry while
 * no migrated backend listened on IoT Core yet, that share would be lost. Both legs speak MQTT
 * 5, so the hop marker prevents loops; the topics also never overlap between directions.
 * LIMITATION: while backends run on both brokers, each telemetry message from a device on the
 * legacy broker is processed on both sides (the ledger counts these duplicates).
 */
export function writeDemoBridgeConfigs(
  config: SandboxConfig,
  canaryTopics: {
    deviceToBackend: string;
    backendToDevice: string;
  },
): DemoBridgeConfigs {
  const dir = path.join(config.home, 'demo');
  mkdirSync(dir, { recursive: true });
  const endpoints = sandboxEndpoints(config);
  const certificate = issueClientCertificate(pkiDir(config), 'sandbox-bridge');

  const base = (
    direction: BridgeConfigInput['direction'],
    sharedGroup: string,
  ): BridgeConfigInput => ({
    bridgeId: 'sandbox',
    direction,
    sharedGroup,
    legacy: { url: endpoints.legacyBrokerUrl, protocolVersion: 5 },
    iotCore: {
      url: endpoints.iotCoreBrokerUrl,
      protocolVersion: 5,
      tls: {
        caFile: path.join(pkiDir(config), 'ca.crt'),
        certFile: certificate.cert,
        keyFile: certificate.key,
      },
    },
    routes: {
      'device-to-backend': [
        { filter: 'fleet/+/telemetry' },
        { filter: 'fleet/+/ack/#' },
        { filter: canaryTopics.deviceToBackend },
      ],
      'backend-to-device': [
        { filter: 'fleet/+/command' },
        { filter: canaryTopics.backendToDevice },
      ],
    },
    deadLetter: { kind: 'file', path: path.join(dir, `dead-letter-${direction}.jsonl`) },
    cloudWatch: { endpoint: endpoints.awsEndpoint, intervalSeconds: 5 },
    drainTimeoutSeconds: 10,
    logLevel: 'warn',
  });

  const files = {
    deviceToBackend: path.join(dir, 'bridge-device-to-backend.yaml'),
    backendToDevice: path.join(dir, 'bridge-backend-to-device.yaml'),
  };
  writeFileSync(files.deviceToBackend, stringify(base('device-to-backend', 'bridge')));
  writeFileSync(files.backendToDevice, stringify(base('backend-to-device', 'bridge-commands')));
  return files;
}
