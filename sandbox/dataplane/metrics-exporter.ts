import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

import { type AwsTarget, cloudWatchClient } from './aws-clients';
import { type BrokerTarget } from './broker-resolver';
import { type BrokerName, type FleetCounters } from './fleet-counters';
import { dataplaneLog } from './log';

/** The CloudWatch namespaces of the contracts. */
export const METRIC_NAMESPACES = {
  iotCore: 'AWS/IoT',
  legacyBroker: 'fleetshift/LegacyBroker',
} as const;

/** Options of {@link startMetricsExporter}. */
export interface MetricsExporterOptions {
  aws: AwsTarget;
  /** Both brokers, read through their `$SYS` topics. */
  brokers: Record<BrokerName, Pick<BrokerTarget, 'url' | 'tls'>>;
  /** The fleet's live counters, for connect outcomes (brokers do not count refusals). */
  fleet?: () => FleetCounters;
  /** @default 5000 */
  intervalMs?: number;
}

/** A running exporter. */
export interface MetricsExporterHandle {
  /** Sends one batch now and returns it by namespace (tests call it instead of the timer). */
  exportNow(): Promise<Record<string, MetricDatum[]>>;
  stop(): Promise<void>;
}

/** The `$SYS` values read; Mosquitto publishes them every sys_interval seconds. */
interface BrokerStats {
  connectedClients?: number;
  publishReceived?: number;
  publishSent?: number;
}

const SYS_TOPICS: Record<string, keyof BrokerStats> = {
  '$SYS/broker/clients/connected': 'connectedClients',
  '$SYS/broker/publish/messages/received': 'publishReceived',
  '$SYS/broker/publish/messages/sent': 'publishSent',
};

/**
 * Turns broker statistics and the fleet's counters into CloudWatch metrics in moto, every few
 * seconds, under the names the migration's analysis reads (see the contracts in DESIGN.md).
 * Counters become per-interval sums; a counter that went down (broker restarted) restarts from
 * its new value.
 * LIMITATION: Mosquitto counts its own `$SYS` messages in publish/messages/sent, so
 * PublishOut.Success includes a few messages per interval to the exporter itself.
 */
export async function startMetricsExporter(
  options: MetricsExporterOptions,
): Promise<MetricsExporterHandle> {
  const cloudWatch = cloudWatchClient(options.aws);
  const stats: Record<BrokerName, BrokerStats> = { legacy: {}, 'iot-core': {} };
  const clients = (Object.keys(options.brokers) as BrokerName[]).map((broker) =>
    watchSys(broker, options.brokers[broker], stats[broker]),
  );
  const previous = new Map<string, number>();

  // Difference since the last export; the first reading only sets the baseline.
  const delta = (key: string, value: number | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const before = previous.get(key);
    previous.set(key, value);
    if (before === undefined) return 0;
    return value >= before ? value - before : value;
  };

  const exportNow = async (): Promise<Record<string, MetricDatum[]>> => {
    const at = new Date();
    const datum = (name: string, value: number | undefined): MetricDatum[] =>
      value === undefined ? [] : [{ MetricName: name, Value: value, Unit: 'Count', Timestamp: at }];
    const fleet = options.fleet?.();
    const iot = stats['iot-core'];
    const legacy = stats.legacy;

    const iotData = [
      ...datum('Connect.Success', delta('iot.success', fleet?.connects['iot-core'].Success)),
      ...datum('Connect.ClientError', delta('iot.client', fleet?.connects['iot-core'].ClientError)),
      ...datum('Connect.AuthError', delta('iot.auth', fleet?.connects['iot-core'].AuthError)),
      ...datum('PublishIn.Success', delta('iot.in', iot.publishReceived)),
      ...datum('PublishOut.Success', delta('iot.out', iot.publishSent)),
    ];
    const legacyData = [
      ...datum('Connect.Success', delta('legacy.success', fleet?.connects.legacy.Success)),
      ...datum('PublishIn.Success', delta('legacy.in', legacy.publishReceived)),
      // Devices only: the broker's own count includes what the bridge publishes to devices
      // still there, which goes on after the last device has left.
      ...datum('DevicePublishIn', delta('legacy.devices', fleet?.publishedTo.legacy)),
      ...datum('ConnectedClients', legacy.connectedClients),
    ];
    await put(METRIC_NAMESPACES.iotCore, iotData);
    await put(METRIC_NAMESPACES.legacyBroker, legacyData);
    return { [METRIC_NAMESPACES.iotCore]: iotData, [METRIC_NAMESPACES.legacyBroker]: legacyData };
  };

  const put = async (namespace: string, data: MetricDatum[]): Promise<void> => {
    if (data.length === 0) return;
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
  };

  const timer = setInterval(() => {
    exportNow().catch((err: unknown) => dataplaneLog.warn({ err }, 'metrics export failed'));
  }, options.intervalMs ?? 5000);

  return {
    exportNow,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.endAsync(true)));
      cloudWatch.destroy();
    },
  };
}

function watchSys(
  broker: BrokerName,
  target: Pick<BrokerTarget, 'url' | 'tls'>,
  stats: BrokerStats,
): MqttClient {
  const client = mqtt.connect(target.url, {
    clientId: `fleetshift-metrics-${broker}-${process.pid}`,
    reconnectPeriod: 2000, // the IoT Core stand-in may be down on purpose (chaos)
    connectTimeout: 5000,
    ...(target.tls ?? {}),
  } as IClientOptions);
  client.on('connect', () => {
    client.subscribe(Object.keys(SYS_TOPICS), { qos: 0 }, () => undefined);
  });
  client.on('message', (topic, payload) => {
    const key = SYS_TOPICS[topic];
    const value = Number(payload.toString());
    if (key && Number.isFinite(value)) stats[key] = value;
  });
  client.on('error', (err) => dataplaneLog.debug({ err, broker }, 'metrics broker error'));
  return client;
}
