// Rules that span fields: zod checks each field, these check that the fields agree.
import { type MigrationPlan } from './schema';

/** One thing wrong with a plan, at a path such as `dns.stepsPercent.2`. */
export interface PlanProblem {
  path: string;
  message: string;
}

/** Every cross-field problem of an otherwise well-typed plan. */
export function crossFieldProblems(plan: MigrationPlan): PlanProblem[] {
  return [...dnsProblems(plan), ...serviceProblems(plan), ...analysisProblems(plan)];
}

function dnsProblems(plan: MigrationPlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const steps = plan.dns.stepsPercent;
  steps.forEach((step, i) => {
    if (step === 0) problems.push({ path: `dns.stepsPercent.${i}`, message: 'must be above 0' });
    if (i > 0 && step <= steps[i - 1]) {
      problems.push({ path: `dns.stepsPercent.${i}`, message: 'steps must rise strictly' });
    }
  });
  if (steps.length > 0 && steps[steps.length - 1] !== 100) {
    problems.push({ path: 'dns.stepsPercent', message: 'the last step must be 100' });
  }
  plan.dns.approvalStepsPercent.forEach((gate, i) => {
    if (!steps.includes(gate)) {
      problems.push({
        path: `dns.approvalStepsPercent.${i}`,
        message: `${gate} is not one of dns.stepsPercent`,
      });
    }
  });
  if (plan.dns.legacy.setIdentifier === plan.dns.iotCore.setIdentifier) {
    problems.push({ path: 'dns.iotCore.setIdentifier', message: 'must differ from legacy' });
  }
  return problems;
}

function serviceProblems(plan: MigrationPlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const seen = new Set<string>();
  plan.backends.services.forEach((service, i) => {
    const at = `backends.services.${i}`;
    if (seen.has(service.name)) problems.push({ path: `${at}.name`, message: 'duplicate name' });
    seen.add(service.name);
    if (service.batchSize > service.instances) {
      problems.push({ path: `${at}.batchSize`, message: 'must not exceed instances' });
    }
    if (service.legacyService === service.migratedService) {
      problems.push({ path: `${at}.migratedService`, message: 'must differ from legacyService' });
    }
  });
  return problems;
}

function analysisProblems(plan: MigrationPlan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  plan.analysis.metrics.forEach((metric, i) => {
    const ids = metric.queries.map((q) => q.id);
    if (metric.returnId !== undefined && !ids.includes(metric.returnId)) {
      problems.push({
        path: `analysis.metrics.${i}.returnId`,
        message: `no query has id ${metric.returnId}`,
      });
    }
    if (new Set(ids).size !== ids.length) {
      problems.push({ path: `analysis.metrics.${i}.queries`, message: 'query ids must be unique' });
    }
  });
  return problems;
}
