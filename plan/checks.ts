// Rules that span fields: zod checks each field, these check that the fields agree.
import { type MetricParts, type ServiceParts, type ValidParts, validParts } from './valid-parts';

/** One thing wrong with a plan, at a path such as `dns.stepsPercent.2`. */
export interface PlanProblem {
  path: string;
  message: string;
}

/**
 * Every cross-field problem of a plan as typed (valid or not): each rule runs on the parts it
 * reads wherever those parts are valid on their own, so schema problems elsewhere hide nothing.
 */
export function crossFieldProblems(raw: unknown): PlanProblem[] {
  const parts = validParts(raw);
  return [
    ...dnsProblems(parts),
    ...parts.services.flatMap((service, i) => serviceProblems(parts.services, service, i)),
    ...parts.metrics.flatMap(metricProblems),
    ...cleanupProblems(parts),
  ];
}

function dnsProblems({ steps, gates, records }: ValidParts): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const percents = steps?.stepsPercent ?? [];
  percents.forEach((step, i) => {
    const at = `dns.stepsPercent.${i}`;
    if (step === 0) problems.push({ path: at, message: 'must be above 0' });
    if (i > 0 && step <= percents[i - 1]) {
      problems.push({ path: at, message: 'steps must rise strictly' });
    }
  });
  if (percents.length > 0 && percents[percents.length - 1] !== 100) {
    problems.push({ path: 'dns.stepsPercent', message: 'the last step must be 100' });
  }
  gates?.approvalStepsPercent.forEach((gate, i) => {
    if (!gates.stepsPercent.includes(gate)) {
      problems.push({
        path: `dns.approvalStepsPercent.${i}`,
        message: `${gate} is not one of dns.stepsPercent`,
      });
    }
  });
  if (records && records.legacy.setIdentifier === records.iotCore.setIdentifier) {
    problems.push({ path: 'dns.iotCore.setIdentifier', message: 'must differ from legacy' });
  }
  return problems;
}

function serviceProblems(all: ServiceParts[], service: ServiceParts, i: number): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const at = `backends.services.${i}`;
  const name = service.name?.name;
  if (name !== undefined && all.slice(0, i).some((other) => other.name?.name === name)) {
    problems.push({ path: `${at}.name`, message: 'duplicate name' });
  }
  if (service.size && service.size.batchSize > service.size.instances) {
    problems.push({ path: `${at}.batchSize`, message: 'must not exceed instances' });
  }
  if (service.pair && service.pair.legacyService === service.pair.migratedService) {
    problems.push({ path: `${at}.migratedService`, message: 'must differ from legacyService' });
  }
  return problems;
}

function metricProblems(metric: MetricParts, i: number): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const at = `analysis.metrics.${i}`;
  const returnId = metric.returnId?.returnId;
  const ids = metric.returnId?.queries.map((q) => q.id) ?? [];
  if (returnId !== undefined && !ids.includes(returnId)) {
    problems.push({ path: `${at}.returnId`, message: `no query has id ${returnId}` });
  }
  const queryIds = metric.queryIds?.queries.map((q) => q.id) ?? [];
  if (new Set(queryIds).size !== queryIds.length) {
    problems.push({ path: `${at}.queries`, message: 'query ids must be unique' });
  }
  return problems;
}

function cleanupProblems({ decommission }: ValidParts): PlanProblem[] {
  // Without a service to scale, decommissioning would be skipped without a word.
  if (decommission?.decommissionLegacy && !decommission.legacyBrokerService) {
    return [
      {
        path: 'cleanup.legacyBrokerService',
        message: 'required when cleanup.decommissionLegacy is true',
      },
    ];
  }
  return [];
}
