// ECS: desired counts of the bridge and the backend services.
import {
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { log } from '@temporalio/activity';

import { type AwsTarget, awsClients } from './aws-clients';
import { nonRetryable, retryable } from './errors';
import { pollUntil } from './waiting';

/** Where an ECS service lives. */
export interface ServiceRef {
  aws: AwsTarget;
  cluster: string;
  service: string;
}

/** Desired and running instances of a service. */
export interface ServiceCounts {
  desired: number;
  running: number;
}

/** Reads the counts of a service. A missing service is a plan problem, not worth a retry. */
export async function describeServiceCounts(ref: ServiceRef): Promise<ServiceCounts> {
  const service = await describe(ref);
  return { desired: service.desiredCount ?? 0, running: runningOf(service, ref.aws) };
}

/** Desired counts of services in one cluster, read ten at a time (ECS's limit per call). */
export async function describeDesiredCounts(
  aws: AwsTarget,
  cluster: string,
  services: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let at = 0; at < services.length; at += 10) {
    const names = services.slice(at, at + 10);
    const result = await awsClients(aws).ecs.send(
      new DescribeServicesCommand({ cluster, services: names }),
    );
    for (const name of names) {
      const found = activeService(result, name);
      if (!found) throw missing({ aws, cluster, service: name }, result);
      counts.set(name, found.desiredCount ?? 0);
    }
  }
  return counts;
}

/** Sets the desired count (absolute, so a retry is harmless); returns the count before. */
export async function scaleService(ref: ServiceRef & { desiredCount: number }): Promise<number> {
  const before = await describe(ref);
  const previous = before.desiredCount ?? 0;
  if (previous !== ref.desiredCount) {
    await awsClients(ref.aws).ecs.send(
      new UpdateServiceCommand({
        cluster: ref.cluster,
        service: ref.service,
        desiredCount: ref.desiredCount,
      }),
    );
    log.info('service scaled', { service: ref.service, from: previous, to: ref.desiredCount });
  }
  return previous;
}

/**
 * Adds `delta` instances (negative removes), clamped to [0, max]; returns the new count.
 * Only migrations started before setBridgeCapacity existed still call it, and must replay.
 * LIMITATION: ECS has no conditional update, so if the worker dies after ECS applied the change
 * and before Temporal recorded it, the retry applies the delta a second time; for the bridge this
 * means one step of extra (or missing) capacity until the next adjustment or the cleanup.
 */
export async function adjustServiceCount(
  ref: ServiceRef & { delta: number; max: number },
): Promise<number> {
  const current = (await describe(ref)).desiredCount ?? 0;
  const target = Math.max(0, Math.min(ref.max, current + ref.delta));
  await scaleService({ ...ref, desiredCount: target });
  return target;
}

/**
 * Waits until the service runs as many instances as it wants, heartbeating meanwhile.
 * LIMITATION: moto stores services but runs nothing, and the sandbox's ECS agent does not update
 * moto's runningCount; with an emulator endpoint we accept what moto reports (it reports running
 * equal to desired), so this wait proves nothing about real processes in the sandbox.
 */
export async function waitForServiceStable(
  ref: ServiceRef & { desiredCount: number; timeoutSeconds: number },
): Promise<ServiceCounts> {
  const stable = await pollUntil(
    async () => {
      const counts = await describeServiceCounts(ref);
      return counts.desired === ref.desiredCount && counts.running === ref.desiredCount
        ? counts
        : undefined;
    },
    { intervalMs: 2000, timeoutMs: ref.timeoutSeconds * 1000, progress: () => ref.service },
  );
  if (!stable) {
    throw retryable('ServiceNotStable', `${ref.service} did not reach ${ref.desiredCount} running`);
  }
  return stable;
}

async function describe(ref: ServiceRef): Promise<Service> {
  const result = await awsClients(ref.aws).ecs.send(
    new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }),
  );
  const service = activeService(result, ref.service);
  if (!service) throw missing(ref, result);
  return service;
}

function activeService(result: DescribeServicesCommandOutput, name: string): Service | undefined {
  return result.services?.find(
    (s) => s.status !== 'INACTIVE' && (s.serviceName === name || s.serviceArn === name),
  );
}

/** A missing service or cluster is a plan problem, not worth a retry. */
function missing(ref: ServiceRef, result: DescribeServicesCommandOutput): Error {
  const reason = result.failures?.[0]?.reason ?? 'MISSING';
  if (reason.includes('cluster')) {
    return nonRetryable('ClusterNotFound', `no ECS cluster ${ref.cluster}`);
  }
  return nonRetryable('ServiceNotFound', `no ECS service ${ref.service} in ${ref.cluster}`);
}

function runningOf(service: Service, aws: AwsTarget): number {
  // moto keeps the service's runningCount equal to desired but never advances its deployments.
  if (aws.endpoint) return service.runningCount ?? 0;
  // On AWS the primary deployment says how many tasks of the current definition run.
  return service.deployments?.[0]?.runningCount ?? service.runningCount ?? 0;
}
