// The migration plan: one typed, validated object. Every field that a default can serve has one,
// so a rehearsal plan names only its services and the sandbox addresses.
import { z } from 'zod';

const seconds = z.number().int().min(0);
const positiveCount = z.number().int().min(1);
const percent = z.number().int().min(0).max(100);

const brokersSchema = z.strictObject({
  legacy: z.strictObject({ url: z.string().default('mqtt://127.0.0.1:1883') }).prefault({}),
  iotCore: z
    .strictObject({
      url: z.string().default('mqtts://127.0.0.1:8883'),
      /** Files for the TLS client of the canary probe; optional where IoT Core uses a public CA. */
      caFile: z.string().optional(),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
    })
    .prefault({}),
});

const awsSchema = z.strictObject({
  region: z.string().min(1).default('us-east-1'),
  /** Set for an emulator such as moto; static credentials below are then used. */
  endpoint: z.url().optional(),
  accessKeyId: z.string().default('sandbox'),
  secretAccessKey: z.string().default('sandbox'),
});

const bridgeDirectionSchema = z.strictObject({
  service: z.string().min(1),
  instances: positiveCount.default(1),
});

const bridgeSchema = z.strictObject({
  cluster: z.string().min(1).default('fleetshift'),
  deviceToBackend: bridgeDirectionSchema.prefault({ service: 'bridge-device-to-backend' }),
  backendToDevice: bridgeDirectionSchema.prefault({ service: 'bridge-backend-to-device' }),
  /** Device-to-backend bridge instances added for every migrated backend instance. */
  instancesPerMigratedInstance: z.number().min(0).default(0),
  /** Upper bound for the device-to-backend bridge while backends move. */
  maxInstances: positiveCount.default(100),
});

/** One backend service and how it moves; cross-field rules read its fields too. */
export const serviceSchema = z.strictObject({
  name: z.string().min(1),
  legacyService: z.string().min(1),
  migratedService: z.string().min(1),
  instances: positiveCount,
  /** Instances moved per step. */
  batchSize: positiveCount.default(1),
  /** Pause after each step before legacy instances go, so traffic settles on the new ones. */
  verifySeconds: seconds.default(0),
});

const backendsSchema = z.strictObject({
  cluster: z.string().min(1).default('fleetshift'),
  /** Services migrated at the same time. */
  maxParallelServices: positiveCount.default(4),
  services: z.array(serviceSchema).default([]),
});

const weightedRecordSchema = z.strictObject({
  setIdentifier: z.string().min(1),
  target: z.string().min(1),
});

const rollbackSchema = z.strictObject({
  /** Where a breach sends the weights: the last step that soaked clean, or zero percent. */
  to: z.enum(['last-healthy', 'zero']).default('last-healthy'),
  /** Largest drop of the IoT Core weight in one rollback step, so devices return gradually. */
  maxStepPercent: z.number().int().min(1).max(100).default(10),
  /** Wait between rollback steps. */
  stepPauseSeconds: seconds.default(60),
});

/** The weighted records and the steps devices move in. */
export const dnsSchema = z.strictObject({
  hostedZoneName: z.string().min(1).default('fleet.sandbox.'),
  recordName: z.string().min(1).default('mqtt.fleet.sandbox.'),
  recordType: z.enum(['CNAME', 'A', 'AAAA']).default('CNAME'),
  ttlSeconds: z.number().int().min(0).default(60),
  legacy: weightedRecordSchema.prefault({
    setIdentifier: 'legacy',
    target: 'legacy.broker.sandbox.',
  }),
  iotCore: weightedRecordSchema.prefault({
    setIdentifier: 'iot-core',
    target: 'iot-core.broker.sandbox.',
  }),
  /** IoT Core weight of each step, in percent, rising to 100. */
  stepsPercent: z.array(percent).min(1).default([1, 2, 5, 10, 25, 50, 100]),
  soakSeconds: seconds.default(600),
  /** Steps (by IoT Core percent) that wait for an `approve` before the weights change. */
  approvalStepsPercent: z.array(percent).default([]),
  rollback: rollbackSchema.prefault({}),
});

const metricStatSchema = z.strictObject({
  namespace: z.string().min(1),
  metricName: z.string().min(1),
  dimensions: z.record(z.string(), z.string()).default({}),
  stat: z.string().min(1).default('Sum'),
  periodSeconds: z.number().int().min(1).default(60),
});

/** One GetMetricData query: a metric or an expression over other ids. */
export const metricQuerySchema = z
  .strictObject({
    /** GetMetricData query id: lower-case first letter, letters, digits and underscores. */
    id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'must start lower-case, then letters/digits/_'),
    metric: metricStatSchema.optional(),
    /** CloudWatch metric math over the other ids, for example `ok / (ok + err)`. */
    expression: z.string().min(1).optional(),
  })
  .refine((q) => (q.metric === undefined) !== (q.expression === undefined), {
    message: 'give exactly one of metric or expression',
  });

/** One metric the analysis compares with a threshold. */
export const analysisMetricSchema = z.strictObject({
  name: z.string().min(1),
  queries: z.array(metricQuerySchema).min(1),
  /** Which query's series is compared; defaults to the last query. */
  returnId: z.string().optional(),
  /** How the window's data points become one value. */
  reduce: z.enum(['average', 'latest', 'max', 'min', 'sum']).default('average'),
  threshold: z.number(),
  /** 'above': a value above the threshold is a breach. 'below': a value below it is. */
  breachWhen: z.enum(['above', 'below']),
});

/** The default analysis: the share of successful connects on IoT Core. */
export const DEFAULT_METRICS = [
  {
    name: 'iot-connect-success-ratio',
    queries: [
      { id: 'ok', metric: { namespace: 'AWS/IoT', metricName: 'Connect.Success' } },
      { id: 'clientErr', metric: { namespace: 'AWS/IoT', metricName: 'Connect.ClientError' } },
      { id: 'authErr', metric: { namespace: 'AWS/IoT', metricName: 'Connect.AuthError' } },
      { id: 'ratio', expression: 'ok / (ok + clientErr + authErr)' },
    ],
    threshold: 0.95,
    breachWhen: 'below' as const,
  },
];

const analysisSchema = z.strictObject({
  intervalSeconds: z.number().int().min(1).default(60),
  /** Data looked at by each run: the last windowSeconds before it. */
  windowSeconds: z.number().int().min(60).default(300),
  /** Breaches tolerated in one soak; one more rolls back. */
  failureLimit: z.number().int().min(0).default(0),
  /** Analysis errors (CloudWatch unreachable, bad expression) tolerated in one soak. */
  errorLimit: z.number().int().min(0).default(3),
  /** What a metric with no data point means: a breach, a pause for an operator, or nothing. */
  missingData: z.enum(['fail', 'pause', 'ignore']).default('pause'),
  metrics: z.array(analysisMetricSchema).prefault(DEFAULT_METRICS),
});

const iotCoreReadinessSchema = z.strictObject({
  /** PEM file of the customer CA that signs device certificates; registered with IoT Core. */
  caCertificateFile: z.string().optional(),
  domainConfiguration: z
    .strictObject({
      name: z.string().min(1),
      domainName: z.string().optional(),
      serverCertificateArns: z.array(z.string()).default([]),
    })
    .optional(),
  /** The IoT rule that copies device traffic to S3, so nothing is lost while devices move. */
  safetyNet: z
    .strictObject({
      ruleName: z.string().regex(/^[a-zA-Z0-9_]+$/, 'letters, digits and _ only'),
      bucket: z.string().min(3),
      topicFilter: z.string().default('#'),
      roleArn: z.string().default('arn:aws:iam::123456789012:role/fleetshift-safety-net'),
    })
    .optional(),
});

const canarySchema = z.strictObject({
  /** Time a canary message may take through the bridge before preparation fails. */
  timeoutSeconds: z.number().int().min(1).default(15),
  deviceToBackendTopic: z.string().default('fleetshift/canary/device-to-backend'),
  backendToDeviceTopic: z.string().default('fleetshift/canary/backend-to-device'),
  enabled: z.boolean().default(true),
});

/** When the bridge goes, and whether the legacy broker goes with it. */
export const cleanupSchema = z.strictObject({
  /** The legacy broker must carry no traffic for this long before the bridge goes. */
  zeroTrafficWindowSeconds: z.number().int().min(0).default(900),
  /** Checks of the legacy traffic while waiting for the window. */
  checkIntervalSeconds: z.number().int().min(1).default(60),
  legacyTraffic: metricStatSchema.prefault({
    namespace: 'fleetshift/LegacyBroker',
    metricName: 'PublishIn.Success',
  }),
  decommissionLegacy: z.boolean().default(false),
  /** ECS service of the legacy broker, scaled to zero when decommissioning. */
  legacyBrokerService: z.string().optional(),
});

/** The whole plan, before defaults are applied. */
export const migrationPlanSchema = z
  .object({
    name: z.string().min(1).default('migration'),
    brokers: brokersSchema.prefault({}),
    aws: awsSchema.prefault({}),
    bridge: bridgeSchema.prefault({}),
    backends: backendsSchema.prefault({}),
    dns: dnsSchema.prefault({}),
    analysis: analysisSchema.prefault({}),
    iotCore: iotCoreReadinessSchema.prefault({}),
    canary: canarySchema.prefault({}),
    cleanup: cleanupSchema.prefault({}),
  })
  .strict();

/** A validated migration plan with every default filled in. */
export type MigrationPlan = z.output<typeof migrationPlanSchema>;

/** A plan as written in a file, before defaults. */
export type MigrationPlanInput = z.input<typeof migrationPlanSchema>;

export type BackendServicePlan = MigrationPlan['backends']['services'][number];
export type AnalysisPlan = MigrationPlan['analysis'];
export type AnalysisMetricPlan = AnalysisPlan['metrics'][number];
export type MetricStatPlan = z.output<typeof metricStatSchema>;
export type DnsPlan = MigrationPlan['dns'];
