import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import YAML from 'yaml';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { BridgeConfigError } from './errors';
import { filtersOverlap, isValidFilter, rewriteTopic } from './topic-filter';

/** Which way an instance forwards. A closed vocabulary shared with the metrics contract. */
export type Direction = 'device-to-backend' | 'backend-to-device';
export const DIRECTIONS: readonly Direction[] = ['device-to-backend', 'backend-to-device'];

const mqttUrl = z
  .string()
  .regex(/^mqtts?:\/\/[^/\s]+:\d+$/, 'must look like mqtt://host:port or mqtts://host:port');

const brokerSchema = z.strictObject({
  url: mqttUrl,
  /** 4 is MQTT 3.1.1, 5 is MQTT 5. */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  /** Client certificate and the CA that signed the broker's certificate, as PEM files. */
  tls: z.strictObject({ caFile: z.string(), certFile: z.string(), keyFile: z.string() }).optional(),
  keepaliveSeconds: z.number().int().min(1).max(1200).default(30),
  /** How long the broker keeps the session (and queues messages) while we are away. */
  sessionExpirySeconds: z.number().int().min(0).default(3600),
  connectTimeoutSeconds: z.number().int().min(1).default(10),
});

const routeSchema = z.strictObject({
  /** Topic filter on the upstream broker, for example `dev/#`. */
  filter: z.string().refine(isValidFilter, 'is not a valid MQTT topic filter'),
  /** Optional prefix rewrite applied to each topic before publishing downstream. */
  rewrite: z.strictObject({ from: z.string().min(1), to: z.string().min(1) }).optional(),
});

const s3Schema = z.strictObject({
  kind: z.literal('s3'),
  bucket: z.string().min(3),
  prefix: z.string().default('dead-letter/'),
  region: z.string().default('us-east-1'),
  /** With an endpoint (the emulator), static credentials are used, never the SDK chain. */
  endpoint: z.string().url().optional(),
  accessKeyId: z.string().default('sandbox'),
  secretAccessKey: z.string().default('sandbox'),
});

const fileSchema = z.strictObject({
  kind: z.literal('file'),
  /** Append-only JSON-lines file; relative paths are resolved from the config file. */
  path: z.string().min(1),
});

const cloudWatchSchema = z.strictObject({
  region: z.string().default('us-east-1'),
  endpoint: z.string().url().optional(),
  accessKeyId: z.string().default('sandbox'),
  secretAccessKey: z.string().default('sandbox'),
  intervalSeconds: z.number().int().min(1).default(10),
  namespace: z.string().default('fleetshift/Bridge'),
});

const schema = z.strictObject({
  /** Names this bridge deployment; it is the hop marker and the client id prefix. */
  bridgeId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -, at most 32'),
  /** Unique per instance and stable across its restarts, so its persistent session resumes. */
  instanceId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .optional(),
  direction: z.enum(['device-to-backend', 'backend-to-device']),
  legacy: brokerSchema,
  iotCore: brokerSchema,
  /**
   * Shared-subscription group joined upstream: the bridge's own, not the legacy backends', so
   * a message is handled by a legacy backend and forwarded too (at least once, never lost).
   */
  sharedGroup: z.string().regex(/^[^/+#$]+$/, 'must not contain / + # or $'),
  routes: z.strictObject({
    'device-to-backend': z.array(routeSchema).default([]),
    'backend-to-device': z.array(routeSchema).default([]),
  }),
  upstream: z
    .strictObject({
      connections: z.number().int().min(1).max(64).default(1),
      /**
       * MQTT 5: messages the broker may send each upstream connection before its acks. It
       * bounds what the bridge holds while the downstream is slow or away: at most this many
       * messages per connection (times their size) are in memory.
       */
      receiveMaximum: z.number().int().min(1).max(65535).default(10_000),
    })
    .prefault({}),
  downstream: z
    .strictObject({
      connections: z.number().int().min(1).max(256).default(4),
      /** Per connection; IoT Core's default limit is 100 publishes per second. */
      publishesPerSecond: z.number().positive().default(100),
      /** Unacknowledged publishes per connection; IoT Core allows 100. */
      maxInFlight: z.number().int().min(1).max(65535).default(100),
    })
    .prefault({}),
  reconnect: z
    .strictObject({
      minMs: z.number().int().min(10).default(500),
      maxMs: z.number().int().default(30000),
    })
    .prefault({}),
  deadLetter: z.discriminatedUnion('kind', [fileSchema, s3Schema]),
  http: z
    .strictObject({
      host: z.literal('127.0.0.1').default('127.0.0.1'),
      /** 0 picks a free port; the chosen one is logged. */
      port: z.number().int().min(0).max(65535).default(0),
    })
    .prefault({}),
  cloudWatch: cloudWatchSchema.optional(),
  /** How long SIGTERM waits for in-flight messages before exiting anyway. */
  drainTimeoutSeconds: z.number().min(0).default(30),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** A validated bridge configuration. */
export type BridgeConfig = z.infer<typeof schema> & { instanceId: string };
/** A broker as the configuration describes it. */
export type BrokerConfig = z.infer<typeof brokerSchema>;
/** One forwarded topic filter with its optional rewrite. */
export type RouteConfig = z.infer<typeof routeSchema>;
/** A configuration as written by a person, before defaults. */
export type BridgeConfigInput = z.input<typeof schema>;

/**
 * Validates a configuration object and reports every problem at once, each with its path.
 * `baseDir` resolves relative file paths (the folder of the config file).
 */
export function parseBridgeConfig(input: unknown, baseDir = process.cwd()): BridgeConfig {
  const parsed = schema.safeParse(input, { error: plainError });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  if (parsed.success) problems.push(...crossChecks(parsed.data));
  if (!parsed.success || problems.length > 0) {
    throw new BridgeConfigError(
      `bridge config has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`,
      problems,
    );
  }

  const config = parsed.data;
  const resolve = (file: string): string => path.resolve(baseDir, file);
  for (const broker of [config.legacy, config.iotCore]) {
    if (broker.tls) {
      broker.tls = {
        caFile: resolve(broker.tls.caFile),
        certFile: resolve(broker.tls.certFile),
        keyFile: resolve(broker.tls.keyFile),
      };
    }
  }
  if (config.deadLetter.kind === 'file') config.deadLetter.path = resolve(config.deadLetter.path);
  return { ...config, instanceId: config.instanceId ?? `${os.hostname()}-${process.pid}` };
}

/** Reads a YAML or JSON file (YAML is a superset) and validates it. */
export function loadBridgeConfig(file: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BridgeConfigError(`cannot read bridge config ${file}: ${(err as Error).message}`);
  }
  let input: unknown;
  try {
    input = YAML.parse(text);
  } catch (err) {
    throw new BridgeConfigError(
      `bridge config ${file} is not YAML/JSON: ${(err as Error).message}`,
    );
  }
  return parseBridgeConfig(input, path.dirname(path.resolve(file)));
}

type ParsedConfig = z.infer<typeof schema>;

/** Rules that span fields: IoT Core's reserved topics and loop safety on MQTT 3.1.1 legs. */
function crossChecks(config: ParsedConfig): string[] {
  const problems: string[] = [];
  const toIot = config.routes['device-to-backend'];
  toIot.forEach((route, i) => {
    const written = rewriteTopic(route.filter, route.rewrite);
    if (route.filter.startsWith('$') || written.startsWith('$')) {
      problems.push(
        `routes.device-to-backend.${i}: topics starting with $ are never forwarded to IoT Core`,
      );
    }
  });
  if (config.routes[config.direction].length === 0) {
    problems.push(`routes.${config.direction}: this instance's direction has no routes`);
  }

  // The hop marker only works when every leg speaks MQTT 5. Otherwise a topic that one
  // direction writes must never be read by the other, or each message would come back.
  const allV5 = config.legacy.protocolVersion === 5 && config.iotCore.protocolVersion === 5;
  if (!allV5) {
    for (const [writer, reader] of [
      ['device-to-backend', 'backend-to-device'],
      ['backend-to-device', 'device-to-backend'],
    ] as const) {
      config.routes[writer].forEach((w, i) => {
        const written = rewriteTopic(w.filter, w.rewrite);
        config.routes[reader].forEach((r, j) => {
          if (filtersOverlap(written, r.filter)) {
            problems.push(
              `routes.${writer}.${i}: writes ${written}, which routes.${reader}.${j} ` +
                `(${r.filter}) reads back; with MQTT 3.1.1 on a leg there is no hop marker, ` +
                'so the two directions need separate topics',
            );
          }
        });
      });
    }
  }
  if (config.reconnect.maxMs < config.reconnect.minMs) {
    problems.push('reconnect.maxMs: must be at least reconnect.minMs');
  }
  return problems;
}
