import { ApplicationFailure } from '@temporalio/activity';

/** Failure types activities raise. Stable strings: workflows and operators match on them. */
export type ActivityFailureType =
  | 'InvalidPlan'
  | 'HostedZoneNotFound'
  | 'RecordNotFound'
  | 'ServiceNotFound'
  | 'ClusterNotFound'
  | 'FileNotFound'
  | 'CanaryTimeout'
  | 'ServiceNotStable'
  | 'DnsNotInSync'
  | 'Unreachable';

/** A refusal a retry cannot fix: Temporal stops retrying and the workflow decides. */
export function nonRetryable(type: ActivityFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** A fault worth retrying (a timeout, a broker that is still starting). */
export function retryable(type: ActivityFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}

/** The AWS SDK error name, when `err` is one. */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
