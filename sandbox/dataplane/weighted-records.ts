import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';

/** One weighted CNAME record of the migration's broker name. */
export interface WeightedRecord {
  /** 'legacy' or 'iot-core' in the sandbox (the contracts' SetIdentifier values). */
  setIdentifier: string;
  weight: number;
  /** The CNAME target, fully qualified with a trailing dot. */
  target: string;
  ttlSeconds: number;
}

/** A DNS name with exactly one trailing dot, lower case, as Route 53 stores it. */
export function fqdn(name: string): string {
  return `${name.toLowerCase().replace(/\.+$/, '')}.`;
}

/**
 * Picks one record in proportion to its weight, as Route 53 does. When every weight is zero,
 * Route 53 answers from all of them with equal probability, and so does this.
 * `random` returns a number in [0, 1); tests pass their own.
 */
export function chooseWeighted(
  records: readonly WeightedRecord[],
  random: () => number = Math.random,
): WeightedRecord | undefined {
  if (records.length === 0) return undefined;
  const total = records.reduce((sum, r) => sum + Math.max(0, r.weight), 0);
  if (total === 0) return records[Math.floor(random() * records.length)];

  let point = random() * total;
  for (const record of records) {
    point -= Math.max(0, record.weight);
    if (point < 0) return record;
  }
  return records[records.length - 1];
}

/** Reads the weighted CNAME records of `recordName` from a hosted zone. */
export async function readWeightedRecords(
  route53: Route53Client,
  hostedZoneId: string,
  recordName: string,
): Promise<WeightedRecord[]> {
  const name = fqdn(recordName);
  const out = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: name,
      StartRecordType: 'CNAME',
      MaxItems: 100,
    }),
  );
  const records: WeightedRecord[] = [];
  for (const set of out.ResourceRecordSets ?? []) {
    const target = set.ResourceRecords?.[0]?.Value;
    if (fqdn(set.Name ?? '') !== name || set.Type !== 'CNAME' || !target) continue;
    if (set.Weight === undefined || set.SetIdentifier === undefined) continue;
    records.push({
      setIdentifier: set.SetIdentifier,
      weight: set.Weight,
      target: fqdn(target),
      ttlSeconds: set.TTL ?? 60,
    });
  }
  return records;
}
