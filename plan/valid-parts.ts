// The parts of a raw plan that the cross-field rules read, each taken only where it is valid on
// its own. A rule can then run beside schema problems elsewhere in the plan, and a part the
// schema refused is skipped, so no rule repeats a schema problem in other words.
import { z } from 'zod';

import {
  analysisMetricSchema,
  cleanupSchema,
  DEFAULT_METRICS,
  dnsSchema,
  metricQuerySchema,
  serviceSchema,
} from './schema';

// Each part picks fields from the real schemas, defaults included; other keys are ignored here
// (the schema reports unknown ones), so a typo beside a part does not hide it.
const dns = dnsSchema.shape;
const stepsPart = z.object({ stepsPercent: dns.stepsPercent });
const gatesPart = z.object({
  stepsPercent: dns.stepsPercent,
  approvalStepsPercent: dns.approvalStepsPercent,
});
const recordsPart = z.object({ legacy: dns.legacy, iotCore: dns.iotCore });

const service = serviceSchema.shape;
const servicesList = z.object({ services: z.array(z.unknown()).default([]) });
const namePart = z.object({ name: service.name });
const sizePart = z.object({ instances: service.instances, batchSize: service.batchSize });
const pairPart = z.object({
  legacyService: service.legacyService,
  migratedService: service.migratedService,
});

const metric = analysisMetricSchema.shape;
const metricsList = z.object({ metrics: z.array(z.unknown()).prefault(DEFAULT_METRICS) });
// Every id must be valid, and the list not empty, before ids can be compared.
const queryIdsPart = z.object({
  queries: z.array(z.object({ id: metricQuerySchema.shape.id })).min(1),
});
const returnIdPart = queryIdsPart.extend({ returnId: metric.returnId });

const cleanup = cleanupSchema.shape;
const decommissionPart = z.object({
  decommissionLegacy: cleanup.decommissionLegacy,
  legacyBrokerService: cleanup.legacyBrokerService,
});

/** What the rules for one backend service read; a missing part did not parse. */
export interface ServiceParts {
  name?: z.output<typeof namePart>;
  size?: z.output<typeof sizePart>;
  pair?: z.output<typeof pairPart>;
}

/** What the rules for one analysis metric read; a missing part did not parse. */
export interface MetricParts {
  queryIds?: z.output<typeof queryIdsPart>;
  returnId?: z.output<typeof returnIdPart>;
}

/** The valid parts of a plan, by rule; a missing part did not parse. */
export interface ValidParts {
  steps?: z.output<typeof stepsPart>;
  gates?: z.output<typeof gatesPart>;
  records?: z.output<typeof recordsPart>;
  services: ServiceParts[];
  metrics: MetricParts[];
  decommission?: z.output<typeof decommissionPart>;
}

/** Takes apart whatever was typed, never throwing, whatever its shape. */
export function validParts(raw: unknown): ValidParts {
  const dnsSection = sectionOf(raw, 'dns');
  const services = part(servicesList, sectionOf(raw, 'backends'))?.services ?? [];
  const metrics = part(metricsList, sectionOf(raw, 'analysis'))?.metrics ?? [];
  return {
    steps: part(stepsPart, dnsSection),
    gates: part(gatesPart, dnsSection),
    records: part(recordsPart, dnsSection),
    services: services.map((s) => ({
      name: part(namePart, s),
      size: part(sizePart, s),
      pair: part(pairPart, s),
    })),
    metrics: metrics.map((m) => ({
      queryIds: part(queryIdsPart, m),
      returnId: part(returnIdPart, m),
    })),
    decommission: part(decommissionPart, sectionOf(raw, 'cleanup')),
  };
}

function part<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A top-level section as the schema sees it: left out means all its defaults. */
function sectionOf(raw: unknown, key: string): unknown {
  // null parses as nothing, so a plan that is not an object yields no part at all.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const value = (raw as Record<string, unknown>)[key];
  return value === undefined ? {} : value;
}
