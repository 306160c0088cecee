import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import mqtt from 'mqtt';

import { ensureCustomerCa, issueClientCertificate, type SandboxPki } from './certificates';
import { type PortName, type SandboxConfig, sandboxEndpoints } from './config';
import { httpOk } from './health';
import { renderIotCoreBrokerConfig, renderLegacyBrokerConfig } from './mosquitto-config';
import { type ProcessSpec } from './processes';
import { requireTool } from './tools';

export type ServiceName = 'temporal' | 'moto' | 'legacy-broker' | 'iot-core';

/** One long-running part of the sandbox stack. */
export interface SandboxService {
  name: ServiceName;
  /** Ports the service binds; each must be free before it starts. */
  ports: PortName[];
  /** Where a person or a client reaches it. */
  address: string;
  /** Writes configuration and certificates, then says how to start the service. */
  prepare(): ProcessSpec;
  healthy(): Promise<boolean>;
}

/** The sandbox's services, in start order. */
export function sandboxServices(config: SandboxConfig): SandboxService[] {
  return [temporal(config), moto(config), legacyBroker(config), iotCore(config)];
}

/** The folder of the customer's CA and the certificates issued with it. */
export function pkiDir(config: SandboxConfig): string {
  return path.join(config.home, 'pki');
}

/** Generates (once) the customer CA, the stand-in's server certificate and the health client's. */
export function ensureSandboxPki(config: SandboxConfig): SandboxPki {
  const pki = ensureCustomerCa(pkiDir(config));
  issueClientCertificate(pki.dir, 'sandbox-health');
  return pki;
}

function temporal(config: SandboxConfig): SandboxService {
  const { host, ports } = config;
  const endpoints = sandboxEndpoints(config);
  return {
    name: 'temporal',
    ports: ['temporal', 'temporalUi', 'temporalHttp', 'temporalMetrics'],
    address: `${endpoints.temporalAddress} (Web UI ${endpoints.temporalUiUrl})`,
    prepare: () => {
      mkdirSync(config.home, { recursive: true });
      return {
        name: 'temporal',
        file: requireTool('temporal'),
        args: [
          'server',
          'start-dev',
          '--ip',
          host,
          '--port',
          String(ports.temporal),
          '--ui-port',
          String(ports.temporalUi),
          '--http-port',
          String(ports.temporalHttp),
          '--metrics-port',
          String(ports.temporalMetrics),
          // SQLite file: workflow history survives `sandbox down` and `up`.
          '--db-filename',
          path.join(config.home, 'temporal.db'),
          '--ui-disable-news-fetch',
          '--log-level',
          'warn',
        ],
      };
    },
    healthy: async () => {
      const ui = await httpOk(endpoints.temporalUiUrl);
      return ui && (await temporalAnswers(endpoints.temporalAddress));
    },
  };
}

async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

function moto(config: SandboxConfig): SandboxService {
  const { awsEndpoint } = sandboxEndpoints(config);
  return {
    name: 'moto',
    ports: ['moto'],
    address: awsEndpoint,
    prepare: () => ({
      name: 'moto',
      file: requireTool('moto'),
      args: ['-H', config.host, '-p', String(config.ports.moto)],
    }),
    healthy: () => httpOk(`${awsEndpoint}/moto-api/data.json`),
  };
}

function legacyBroker(config: SandboxConfig): SandboxService {
  const { legacyBrokerUrl } = sandboxEndpoints(config);
  const dir = path.join(config.home, 'legacy-broker');
  return {
    name: 'legacy-broker',
    ports: ['legacyMqtt'],
    address: legacyBrokerUrl,
    prepare: () => {
      mkdirSync(dir, { recursive: true });
      const conf = path.join(dir, 'mosquitto.conf');
      const layout = { bind: config.host, port: config.ports.legacyMqtt, dataDir: dir };
      writeFileSync(
        conf,
        renderLegacyBrokerConfig({ ...layout, runAsUser: os.userInfo().username }),
      );
      return { name: 'legacy-broker', file: requireTool('mosquitto'), args: ['-c', conf] };
    },
    healthy: () => mqttAnswers(legacyBrokerUrl, {}),
  };
}

function iotCore(config: SandboxConfig): SandboxService {
  const { iotCoreBrokerUrl } = sandboxEndpoints(config);
  const dir = path.join(config.home, 'iot-core');
  return {
    name: 'iot-core',
    ports: ['iotCoreMqtts'],
    address: `${iotCoreBrokerUrl} (client certificate from ${pkiDir(config)}/ca.crt)`,
    prepare: () => {
      mkdirSync(dir, { recursive: true });
      const pki = ensureSandboxPki(config);
      const conf = path.join(dir, 'mosquitto.conf');
      const layout = { bind: config.host, port: config.ports.iotCoreMqtts, dataDir: dir };
      const tls = { caFile: pki.ca.cert, certFile: pki.server.cert, keyFile: pki.server.key };
      const runAsUser = os.userInfo().username;
      writeFileSync(conf, renderIotCoreBrokerConfig({ ...layout, runAsUser }, tls));
      return { name: 'iot-core', file: requireTool('mosquitto'), args: ['-c', conf] };
    },
    healthy: () => {
      const pki = pkiDir(config);
      return mqttAnswers(iotCoreBrokerUrl, {
        ca: readFileSync(path.join(pki, 'ca.crt')),
        cert: readFileSync(path.join(pki, 'sandbox-health.crt')),
        key: readFileSync(path.join(pki, 'sandbox-health.key')),
      });
    },
  };
}

async function mqttAnswers(url: string, tls: mqtt.IClientOptions): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(url, {
      ...tls,
      clientId: `fleetshift-health-${process.pid}`,
      connectTimeout: 1000,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    return true;
  } catch {
    return false;
  }
}
