// Preparation's first check: can we reach everything the migration will touch?
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeClustersCommand } from '@aws-sdk/client-ecs';

import { type MigrationPlan } from '../plan';
import { awsClients } from './aws-clients';
import { connectBroker } from './brokers';
import { nonRetryable } from './errors';
import { hostedZoneId } from './dns';

/** What was reached: the DNS zone id and the clusters found. */
export interface Reachability {
  hostedZoneId: string;
  clusters: string[];
}

/** Connects to both brokers and calls Route 53, ECS and CloudWatch once each. */
export async function checkReachability(plan: MigrationPlan): Promise<Reachability> {
  for (const which of ['legacy', 'iotCore'] as const) {
    const client = await connectBroker(plan.brokers, which, `fleetshift-reach-${Date.now()}`, 5000);
    client.end(true);
  }
  const zoneId = await hostedZoneId(plan.aws, plan.dns.hostedZoneName);
  const clusters = [...new Set([plan.bridge.cluster, plan.backends.cluster])];
  const described = await awsClients(plan.aws).ecs.send(new DescribeClustersCommand({ clusters }));
  const missing = clusters.filter(
    (name) => !described.clusters?.some((c) => c.clusterName === name && c.status === 'ACTIVE'),
  );
  if (missing.length) throw nonRetryable('ClusterNotFound', `no ECS cluster ${missing.join(', ')}`);
  await awsClients(plan.aws).cloudWatch.send(new ListMetricsCommand({ Namespace: 'AWS/IoT' }));
  return { hostedZoneId: zoneId, clusters };
}
