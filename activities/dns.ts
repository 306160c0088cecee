// Route 53: the two weighted records that split devices between the brokers.
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { log } from '@temporalio/activity';

import { type DnsPlan } from '../plan';
import { type AwsTarget, awsClients } from './aws-clients';
import { awsErrorName, nonRetryable, retryable } from './errors';
import { pollUntil } from './waiting';

/** Weights of the two records; Route 53 sends each a share of weight / (sum of weights). */
export interface WeightPair {
  legacy: number;
  iotCore: number;
}

/** Input of {@link setDnsWeights}. */
export interface SetDnsWeightsInput {
  aws: AwsTarget;
  dns: DnsPlan;
  weights: WeightPair;
}

/**
 * Sets both weighted records in one change batch (UPSERT, so a retry changes nothing) and
 * returns the change id to wait on.
 */
export async function setDnsWeights(input: SetDnsWeightsInput): Promise<string> {
  const { route53 } = awsClients(input.aws);
  const zoneId = await hostedZoneId(input.aws, input.dns.hostedZoneName);
  const record = (which: 'legacy' | 'iotCore'): object => ({
    Action: 'UPSERT',
    ResourceRecordSet: {
      Name: input.dns.recordName,
      Type: input.dns.recordType,
      SetIdentifier: input.dns[which].setIdentifier,
      Weight: input.weights[which],
      TTL: input.dns.ttlSeconds,
      ResourceRecords: [{ Value: input.dns[which].target }],
    },
  });
  try {
    const result = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: `fleetshift: ${input.weights.iotCore} to IoT Core`,
          Changes: [record('legacy'), record('iotCore')] as never,
        },
      }),
    );
    log.info('dns weights set', { record: input.dns.recordName, ...input.weights });
    return result.ChangeInfo?.Id ?? '';
  } catch (err) {
    if (awsErrorName(err) === 'InvalidChangeBatch' || awsErrorName(err) === 'InvalidInput') {
      throw nonRetryable('InvalidPlan', `Route 53 refused the change: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Waits until Route 53 reports the change INSYNC, heartbeating meanwhile. */
export async function waitForDnsSync(input: {
  aws: AwsTarget;
  changeId: string;
  timeoutSeconds: number;
}): Promise<void> {
  if (!input.changeId) return;
  const { route53 } = awsClients(input.aws);
  const synced = await pollUntil(
    async () => {
      const change = await route53.send(new GetChangeCommand({ Id: input.changeId }));
      return change.ChangeInfo?.Status === 'INSYNC' ? true : undefined;
    },
    { intervalMs: 2000, timeoutMs: input.timeoutSeconds * 1000 },
  );
  if (!synced) throw retryable('DnsNotInSync', `change ${input.changeId} is not in sync yet`);
}

/** The weights the two records have now; a missing record reads as weight 0. */
export async function readDnsWeights(input: { aws: AwsTarget; dns: DnsPlan }): Promise<WeightPair> {
  const { route53 } = awsClients(input.aws);
  const zoneId = await hostedZoneId(input.aws, input.dns.hostedZoneName);
  const result = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: input.dns.recordName,
      StartRecordType: input.dns.recordType,
    }),
  );
  const weightOf = (setIdentifier: string): number =>
    result.ResourceRecordSets?.find(
      (r) =>
        sameName(r.Name, input.dns.recordName) &&
        r.Type === input.dns.recordType &&
        r.SetIdentifier === setIdentifier,
    )?.Weight ?? 0;
  return {
    legacy: weightOf(input.dns.legacy.setIdentifier),
    iotCore: weightOf(input.dns.iotCore.setIdentifier),
  };
}

/** The id of the hosted zone named `name`; a missing zone is a plan problem. */
export async function hostedZoneId(aws: AwsTarget, name: string): Promise<string> {
  const { route53 } = awsClients(aws);
  const result = await route53.send(new ListHostedZonesByNameCommand({ DNSName: name }));
  const zone = result.HostedZones?.find((z) => sameName(z.Name, name));
  if (!zone?.Id) throw nonRetryable('HostedZoneNotFound', `no hosted zone named ${name}`);
  return zone.Id;
}

function sameName(a: string | undefined, b: string): boolean {
  const strip = (s: string): string => s.replace(/\.$/, '').toLowerCase();
  return a !== undefined && strip(a) === strip(b);
}
