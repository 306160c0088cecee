// IoT Core readiness: the customer CA, the domain configuration and the S3 safety net. Each
// is created only when missing, and the list of what was created lets an abort remove exactly
// that and nothing an operator made by hand.
import {
  CreateDomainConfigurationCommand,
  CreateTopicRuleCommand,
  DeleteCACertificateCommand,
  DeleteDomainConfigurationCommand,
  DeleteTopicRuleCommand,
  RegisterCACertificateCommand,
  UpdateCACertificateCommand,
  UpdateDomainConfigurationCommand,
} from '@aws-sdk/client-iot';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';

import { type MigrationPlan } from '../plan';
import { type AwsTarget, awsClients } from './aws-clients';
import { awsErrorName } from './errors';
import {
  bucketExists,
  caCertificateExists,
  domainConfigurationExists,
  isNotFound,
  readPem,
  topicRuleExists,
} from './readiness-checks';

/** Something preparation created, so that undoing it removes only that. */
export interface CreatedResource {
  kind: 'ca-certificate' | 'domain-configuration' | 'bucket' | 'topic-rule';
  id: string;
}

/**
 * Makes IoT Core ready per the plan; returns what it had to create (empty when all existed).
 * A retry after a worker died between creating and reporting finds the resource in place and
 * reports it as existing, so the workflow asks `surveyIotCoreReadiness` first what is missing
 * and counts that as created too.
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
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Registers the CA unless it is registered already; returns the new id, or null if it existed. */
async function ensureCaCertificate(aws: AwsTarget, pem: string): Promise<string | null> {
  if (await caCertificateExists(aws, pem)) return null;
  const { iot } = awsClients(aws);
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
  if (await domainConfigurationExists(aws, config.name)) return false;
  const { iot } = awsClients(aws);
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
  if (await bucketExists(aws, bucket)) return false;
  const { s3 } = awsClients(aws);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return true;
}

async function ensureTopicRule(
  aws: AwsTarget,
  safetyNet: NonNullable<MigrationPlan['iotCore']['safetyNet']>,
): Promise<boolean> {
  if (await topicRuleExists(aws, safetyNet.ruleName)) return false;
  const { iot } = awsClients(aws);
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
