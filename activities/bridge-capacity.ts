// The device-to-backend bridge's size while backends move. It is worked out afresh from the
// migrated services' counts in ECS on every call and set as an absolute count: a retry after a
// worker died changes nothing, and services moving in parallel cannot lose each other's change.
import type { AwsTarget } from './aws-clients';
import { describeDesiredCounts, scaleService } from './compute';

/** Input of {@link setBridgeCapacity}. */
export interface BridgeCapacityInput {
  aws: AwsTarget;
  /** The device-to-backend bridge's ECS service. */
  bridge: { cluster: string; service: string };
  /** Bridge instances while no backend instance is migrated. */
  baseInstances: number;
  /** Bridge instances added per migrated instance, rounded up per service. */
  perMigratedInstance: number;
  maxInstances: number;
  /** The migrated ECS services of every backend: their desired counts size the bridge. */
  migrated: { cluster: string; services: string[] };
  /** A migrated service about to grow: counted at `count` already, so capacity comes first. */
  growing?: { service: string; count: number };
}

/** Sets the bridge to base + capacity for every migrated instance, at most max; returns it. */
export async function setBridgeCapacity(input: BridgeCapacityInput): Promise<number> {
  const { migrated, growing } = input;
  const counts = await describeDesiredCounts(input.aws, migrated.cluster, migrated.services);
  if (growing) {
    counts.set(growing.service, Math.max(counts.get(growing.service) ?? 0, growing.count));
  }
  let wanted = input.baseInstances;
  for (const count of counts.values()) wanted += Math.ceil(input.perMigratedInstance * count);
  const target = Math.min(input.maxInstances, wanted);
  await scaleService({ aws: input.aws, ...input.bridge, desiredCount: target });
  return target;
}
