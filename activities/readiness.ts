// IoT Core readiness: the customer CA, the domain configuration and the S3 safety net. Each
// is created only when missing, and the list of what was created lets an abort remove exactly
// that and nothing an operator made by hand.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  CreateDomainConfigurationCommand,
  CreateTopicRuleCommand,
  DeleteCACertificateCommand,
  DeleteDomainConfigurationCommand,
  DeleteTopicRuleCommand,
  DescribeCACertificateCommand,
  DescribeDomainConfigurationCommand,
  GetTopicRuleCommand,
  RegisterCACertificateCommand,
  UpdateCACertificateCommand,
  UpdateDomainConfigurationCommand,
} from '@aws-sdk/client-iot';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';

import { type MigrationPlan } from '../plan';
import { type AwsTarget, awsClients } from './aws-clients';
import { awsErrorName, nonRetryable } from './errors';

/** Something preparation created, so that undoing it removes only that. */
export interface CreatedResource {
  kind: 'ca-certificate' | 'domain-configuration' | 'bucket' | 'topic-rule';
  id: string;
}

const NOT_FOUND = new Set(['ResourceNotFoundException', 'NotFound', 'NoSuchBucket']);

/**
 * Makes IoT Core ready per the plan; returns what it had to create (empty when all existed).
 * LIMITATION: if the worker dies after this created something and before Temporal recorded the
 * answer, the retry finds it in place and reports it as existing, so undoing preparation leaves
 * it behind for an operator to remove.
 */
export async function ensureIotCoreReadiness(input: {
  aws: AwsTarget;
  iotCore: MigrationPlan['iotCore'];
}): Promise<CreatedResource[]> {
  const created: CreatedResource[] = [];
  const { caCertificateFile, domainConfiguration, safetyNet } = input.iotCore;
  if (caCertificateFile) {
    const id = await ensureCaCertificate(input.aws, readPem(caCertificateFile));
    if (id) created.push({ kind: 'ca-certificate', id });
  }
  if (domainConfiguration) {
    if (await ensureDomainConfiguration(input.aws, domainConfiguration)) {
      created.push({ kind: 'domain-configuration', id: domainConfiguration.name });
    }
  }
  if (safetyNet) {
    if (await ensureBucket(input.aws, safetyNet.bucket)) {
      created.push({ kind: 'bucket', id: safetyNet.bucket });
    }
    if (await ensureTopicRule(input.aws, safetyNet)) {
      created.push({ kind: 'topic-rule', id: safetyNet.ruleName });
    }
  }
  log.info('iot core ready', { created: created.map((c) => `${c.kind}:${c.id}`) });
  return created;
}

/**
 * Removes what {@link ensureIotCoreReadiness} created, newest first. Something already gone
 * counts as removed, so a retry is harmless. A bucket that holds safety-net copies is kept:
 * those copies may be the only record of messages sent while devices moved.
 */
export async function removeIotCoreReadiness(input: {
  aws: AwsTarget;
  created: CreatedResource[];
}): Promise<void> {
  const { iot, s3 } = awsClients(input.aws);
  for (const resource of [...input.created].reverse()) {
    try {
      if (resource.kind === 'topic-rule') {
        await iot.send(new DeleteTopicRuleCommand({ ruleName: resource.id }));
      } else if (resource.kind === 'bucket') {
        const objects = await s3.send(
          new ListObjectsV2Command({ Bucket: resource.id, MaxKeys: 1 }),
        );
        if ((objects.KeyCount ?? 0) > 0) {
          log.warn('safety-net bucket kept: it holds copies', { bucket: resource.id });
          continue;
        }
        await s3.send(new DeleteBucketCommand({ Bucket: resource.id }));
      } else if (resource.kind === 'domain-configuration') {
        // IoT Core deletes only disabled domain configurations.
        await iot.send(
          new UpdateDomainConfigurationCommand({
            domainConfigurationName: resource.id,
            domainConfigurationStatus: 'DISABLED',
          }),
        );
        await iot.send(
          new DeleteDomainConfigurationCommand({ domainConfigurationName: resource.id }),
        );
      } else {
        await iot.send(
          new UpdateCACertificateCommand({ certificateId: resource.id, newStatus: 'INACTIVE' }),
        );
        await iot.send(new DeleteCACertificateCommand({ certificateId: resource.id }));
      }
      log.info('readiness resource removed', { ...resource });
    } catch (err) {
      if (!NOT_FOUND.has(awsErrorName(err) ?? '')) throw err;
    }
  }
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw nonRetryable('FileNotFound', `cannot read CA certificate ${file}`);
  }
}

/**
 * Registers the CA unless it is registered already; returns the new id, or null if it existed.
 * Why look it up by id instead of listing: moto 5.2.5 answers ListCACertificates with a server
 * error. IoT Core names a certificate by the SHA-256 of its DER bytes; moto uses the SHA-256 of
 * the PEM text; both candidates are tried.
 */
async function ensureCaCertificate(aws: AwsTarget, pem: string): Promise<string | null> {
  const { iot } = awsClients(aws);
  const candidates = [
    createHash('sha256').update(new X509Certificate(pem).raw).digest('hex'),
    createHash('sha256').update(pem).digest('hex'),
  ];
  for (const certificateId of candidates) {
    try {
      await iot.send(new DescribeCACertificateCommand({ certificateId }));
      return null;
    } catch (err) {
      if (!NOT_FOUND.has(awsErrorName(err) ?? '')) throw err;
    }
  }
  try {
    const registered = await iot.send(
      new RegisterCACertificateCommand({
        caCertificate: pem,
        setAsActive: true,
        allowAutoRegistration: false,
        // SNI_ONLY needs no verification certificate: the customer keeps the CA key to itself.
        certificateMode: 'SNI_ONLY',
      }),
    );
    return registered.certificateId ?? null;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceAlreadyExistsException') return null;
    throw err;
  }
}

async function ensureDomainConfiguration(
  aws: AwsTarget,
  config: NonNullable<MigrationPlan['iotCore']['domainConfiguration']>,
): Promise<boolean> {
  const { iot } = awsClients(aws);
  try {
    await iot.send(
      new DescribeDomainConfigurationCommand({ domainConfigurationName: config.name }),
    );
    return false;
  } catch (err) {
    if (!NOT_FOUND.has(awsErrorName(err) ?? '')) throw err;
  }
  await iot.send(
    new CreateDomainConfigurationCommand({
      domainConfigurationName: config.name,
      domainName: config.domainName,
      serverCertificateArns: config.serverCertificateArns.length
        ? config.serverCertificateArns
        : undefined,
      serviceType: 'DATA',
    }),
  );
  return true;
}

async function ensureBucket(aws: AwsTarget, bucket: string): Promise<boolean> {
  const { s3 } = awsClients(aws);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    if (!NOT_FOUND.has(awsErrorName(err) ?? '')) throw err;
  }
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return true;
}

async function ensureTopicRule(
  aws: AwsTarget,
  safetyNet: NonNullable<MigrationPlan['iotCore']['safetyNet']>,
): Promise<boolean> {
  const { iot } = awsClients(aws);
  try {
    await iot.send(new GetTopicRuleCommand({ ruleName: safetyNet.ruleName }));
    return false;
  } catch (err) {
    // IoT answers Unauthorized for a rule that does not exist.
    const name = awsErrorName(err) ?? '';
    if (!NOT_FOUND.has(name) && name !== 'UnauthorizedException') throw err;
  }
  await iot.send(
    new CreateTopicRuleCommand({
      ruleName: safetyNet.ruleName,
      topicRulePayload: {
        sql: `SELECT * FROM '${safetyNet.topicFilter}'`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [
          {
            s3: {
              bucketName: safetyNet.bucket,
              key: '${topic()}/${timestamp()}',
              roleArn: safetyNet.roleArn,
            },
          },
        ],
      },
    }),
  );
  return true;
}
