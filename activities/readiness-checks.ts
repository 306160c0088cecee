// Whether each IoT Core readiness resource exists. Ensuring (readiness.ts) and surveying
// (readiness-survey.ts) must ask the same questions the same way, or the survey would call
// missing what ensuring calls present, so both ask them here.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  DescribeCACertificateCommand,
  DescribeDomainConfigurationCommand,
  GetTopicRuleCommand,
} from '@aws-sdk/client-iot';
import { HeadBucketCommand } from '@aws-sdk/client-s3';

import { type AwsTarget, awsClients } from './aws-clients';
import { awsErrorName, nonRetryable } from './errors';

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFound', 'NoSuchBucket']);

// IoT answers Unauthorized for a rule that does not exist.
const RULE_NOT_FOUND = new Set([...NOT_FOUND, 'UnauthorizedException']);

/** True when `err` is an AWS answer that the resource asked about is not there. */
export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.has(awsErrorName(err) ?? '');
}

/** The customer CA's PEM text; a file that cannot be read is a plan error, not a fault. */
export function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw nonRetryable('FileNotFound', `cannot read CA certificate ${file}`);
  }
}

/**
 * The ids the CA is registered under, one per service flavour: IoT Core names a certificate by
 * the SHA-256 of its DER bytes, moto by the SHA-256 of the PEM text.
 */
export function caCertificateIds(pem: string): string[] {
  return [
    createHash('sha256').update(new X509Certificate(pem).raw).digest('hex'),
    createHash('sha256').update(pem).digest('hex'),
  ];
}

/**
 * Whether the CA is registered under either of its ids. Looked up by id rather than listed:
 * moto 5.2.5 answers ListCACertificates with a server error.
 */
export async function caCertificateExists(aws: AwsTarget, pem: string): Promise<boolean> {
  const { iot } = awsClients(aws);
  for (const certificateId of caCertificateIds(pem)) {
    const ask = (): Promise<unknown> =>
      iot.send(new DescribeCACertificateCommand({ certificateId }));
    if (await exists(ask, NOT_FOUND)) return true;
  }
  return false;
}

/** Whether a domain configuration of this name exists. */
export function domainConfigurationExists(aws: AwsTarget, name: string): Promise<boolean> {
  const { iot } = awsClients(aws);
  const ask = (): Promise<unknown> =>
    iot.send(new DescribeDomainConfigurationCommand({ domainConfigurationName: name }));
  return exists(ask, NOT_FOUND);
}

/** Whether the bucket exists. */
export function bucketExists(aws: AwsTarget, bucket: string): Promise<boolean> {
  const { s3 } = awsClients(aws);
  return exists(() => s3.send(new HeadBucketCommand({ Bucket: bucket })), NOT_FOUND);
}

/** Whether a topic rule of this name exists. */
export function topicRuleExists(aws: AwsTarget, ruleName: string): Promise<boolean> {
  const { iot } = awsClients(aws);
  return exists(() => iot.send(new GetTopicRuleCommand({ ruleName })), RULE_NOT_FOUND);
}

/** True when `ask` answers, false when it fails with one of `missing`; other faults throw. */
async function exists(ask: () => Promise<unknown>, missing: Set<string>): Promise<boolean> {
  try {
    await ask();
    return true;
  } catch (err) {
    if (missing.has(awsErrorName(err) ?? '')) return false;
    throw err;
  }
}
