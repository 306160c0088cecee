import { createHash } from 'node:crypto';

import { type Logger } from 'pino';

import { type Clock, systemClock } from './clock';
import { type BridgeConfig, type Direction } from './config';
import { closeConnection } from './connection';
import { CloudWatchReporter } from './cloudwatch-reporter';
import { type DeadLetterStore, FileDeadLetterStore, S3DeadLetterStore } from './dead-letter';
import { openDownstreamPool } from './downstream-pool';
import { Forwarder } from './forwarder';
import { type BridgeHealth, startHttpServer } from './http-server';
import { createBridgeLogger } from './logger';
import { BridgeMetrics } from './metrics';
import { rewriteTopic } from './topic-filter';
import { UpstreamConnection } from './upstream';

/** A running bridge instance. */
export interface BridgeHandle {
  readonly direction: Direction;
  /** The port of /healthz and /metrics. */
  readonly httpPort: number;
  readonly metrics: BridgeMetrics;
  health(): BridgeHealth;
  /**
   * Stops taking new messages, waits (up to the drain timeout) until every message in flight
   * is acked upstream, then closes everything. Returns whether the drain completed.
   */
  stop(): Promise<boolean>;
}

/** Optional collaborators, replaced by tests. */
export interface BridgeOptions {
  clock?: Clock;
  log?: Logger;
}

const SHORT: Record<Direction, string> = {
  'device-to-backend': 'd2b',
  'backend-to-device': 'b2d',
};

/**
 * Starts one bridge instance in its configured direction: upstream shared subscription,
 * downstream connection pool, dead-letter store, metrics over HTTP and, if configured,
 * CloudWatch batches. Connections come up in the background and retry until they succeed.
 */
export async function startBridge(
  config: BridgeConfig,
  options: BridgeOptions = {},
): Promise<BridgeHandle> {
  const clock = options.clock ?? systemClock;
  const { direction } = config;
  const toIotCore = direction === 'device-to-backend';
  const upstreamBroker = toIotCore ? config.legacy : config.iotCore;
  const downstreamBroker = toIotCore ? config.iotCore : config.legacy;
  const clientIdPrefix = `${config.bridgeId}-${SHORT[direction]}-${config.instanceId}`;
  const log =
    options.log ?? createBridgeLogger(config.logLevel, { direction, instance: config.instanceId });
  const metrics = new BridgeMetrics(direction);

  const deadLetters: DeadLetterStore =
    config.deadLetter.kind === 'file'
      ? new FileDeadLetterStore(config.deadLetter.path)
      : new S3DeadLetterStore({ ...config.deadLetter, instanceId: config.instanceId });

  const { pool, clients: downstreamClients } = openDownstreamPool(
    downstreamBroker,
    config.downstream,
    clientIdPrefix,
    config.reconnect,
    clock,
    metrics,
    log,
  );

  // Without MQTT 5 on every leg there is no hop marker; the config check proved the two
  // directions' topics apart, and anything the other direction writes is skipped here too.
  const allV5 = config.legacy.protocolVersion === 5 && config.iotCore.protocolVersion === 5;
  const opposite: Direction = toIotCore ? 'backend-to-device' : 'device-to-backend';
  const oppositeWrites = allV5
    ? []
    : config.routes[opposite].map((r) => rewriteTopic(r.filter, r.rewrite));

  let upstreams: UpstreamConnection[] = [];
  const forwarder = new Forwarder({
    direction,
    routes: config.routes[direction],
    oppositeWrites,
    hop: allV5 ? config.bridgeId : undefined,
    toIotCore,
    publish: (message) => pool.send(message),
    deadLetters,
    metrics,
    log,
    now: () => clock.now(),
  });
  const inFlight = (): number => upstreams.reduce((sum, u) => sum + u.pending, 0);
  metrics.inFlightSource = inFlight;

  const filters = config.routes[direction].map((r) => `$share/${config.sharedGroup}/${r.filter}`);
  // A persistent session keeps its subscriptions across restarts. If the routes change, the
  // old ones would keep delivering too, so the upstream client id names the filter set.
  const filterSet = createHash('sha256').update(filters.join('\n')).digest('hex').slice(0, 8);
  upstreams = Array.from(
    { length: config.upstream.connections },
    (_, index) =>
      new UpstreamConnection(
        {
          broker: upstreamBroker,
          clientId: `${clientIdPrefix}-up-${index}-${filterSet}`,
          index,
          filters,
          receiveMaximum: config.upstream.receiveMaximum,
          reconnect: config.reconnect,
        },
        (packet, ticket, arrivedAt) => forwarder.handle(packet, ticket, arrivedAt),
        metrics,
        log,
        () => clock.now(),
      ),
  );

  // Messages of a lost upstream connection come again; copies still waiting are dropped.
  for (const upstream of upstreams) upstream.client.on('close', () => pool.dropAbandoned());

  let draining = false;
  const health = (): BridgeHealth => {
    const upstreamConnected = upstreams.filter((u) => u.client.connected).length;
    const downstreamConnected = downstreamClients.filter((c) => c.connected).length;
    const ok = upstreamConnected === upstreams.length && downstreamConnected > 0;
    return {
      status: draining ? 'draining' : ok ? 'ok' : 'degraded',
      upstreamConnected,
      upstreamTotal: upstreams.length,
      downstreamConnected,
      downstreamTotal: downstreamClients.length,
      inFlight: inFlight(),
      totals: { ...metrics.totals },
      deadLetteredByReason: { ...metrics.deadLetteredByReason },
    };
  };

  const http = await startHttpServer(config.http.host, config.http.port, metrics, health);
  const reporter = config.cloudWatch
    ? new CloudWatchReporter(config.cloudWatch, metrics, inFlight, log)
    : undefined;
  reporter?.start();
  log.info(
    {
      httpPort: http.port,
      upstream: withoutCredentials(upstreamBroker.url),
      downstream: withoutCredentials(downstreamBroker.url),
    },
    'bridge started',
  );

  // LIMITATION: a stopped instance keeps its session and subscription, so messages the
  // broker assigns to it while it is down wait for it (or for the session expiry). That keeps
  // a restart lossless; an instance scaled away for good strands them until expiry, so scale
  // down by removing the highest instance ids, which the next scale-up reuses.
  return {
    direction,
    httpPort: http.port,
    metrics,
    health,
    stop: async () => {
      draining = true;
      upstreams.forEach((u) => u.stopAccepting());
      const deadline = Date.now() + config.drainTimeoutSeconds * 1000;
      while (inFlight() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const drained = inFlight() === 0;
      log.info({ drained, left: inFlight() }, drained ? 'drained' : 'drain timed out');
      await Promise.all(upstreams.map((u) => closeConnection(u.client)));
      await pool.close();
      await reporter?.stop();
      // A store that never opened must not keep the process from exiting.
      await deadLetters
        .close()
        .catch((err: Error) => log.error({ err: err.message }, 'dead-letter store did not close'));
      await http.close();
      log.info({ totals: metrics.totals }, 'bridge stopped');
      return drained;
    },
  };
}

/** A broker URL fit for a log line: user and password, if the URL carries them, are cut. */
export function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
