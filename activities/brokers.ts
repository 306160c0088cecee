// MQTT connections for the activities: the legacy broker in plain MQTT, IoT Core over TLS with
// the client certificate files the plan names.
import { readFileSync } from 'node:fs';

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

import { type MigrationPlan } from '../plan';
import { nonRetryable, retryable } from './errors';

/** Which broker. */
export type BrokerName = 'legacy' | 'iotCore';

/** Connects to one of the plan's brokers, or fails within `timeoutMs`. */
export async function connectBroker(
  brokers: MigrationPlan['brokers'],
  which: BrokerName,
  clientId: string,
  timeoutMs: number,
): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    protocolVersion: 4,
  };
  if (which === 'iotCore') {
    const { caFile, certFile, keyFile } = brokers.iotCore;
    if (caFile) options.ca = readFile(caFile);
    if (certFile) options.cert = readFile(certFile);
    if (keyFile) options.key = readFile(keyFile);
  }
  const url = brokers[which].url;
  const client = mqtt.connect(url, options);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    client.end(true);
    throw retryable('Unreachable', `${which} broker ${url}: ${(err as Error).message}`);
  }
  return client;
}

function readFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw nonRetryable('FileNotFound', `cannot read ${file}`);
  }
}
