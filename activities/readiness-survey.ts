// What of IoT Core's readiness is missing, asked before anything is created. Ensuring reports
// what it created, but that answer is lost when the worker dies before Temporal records it, and
// the retry then takes its own work for an operator's. Asked first, the survey's answer is safe.
import { log } from '@temporalio/activity';

import { type MigrationPlan } from '../plan';
import { type AwsTarget } from './aws-clients';
import { type CreatedResource } from './readiness';
import {
  bucketExists,
  caCertificateExists,
  caCertificateIds,
  domainConfigurationExists,
  readPem,
  topicRuleExists,
} from './readiness-checks';

/**
 * The readiness resources the plan needs that do not exist yet, in the order
 * `ensureIotCoreReadiness` creates them. Creates nothing, so a retry is harmless.
 */
export async function surveyIotCoreReadiness(input: {
  aws: AwsTarget;
  iotCore: MigrationPlan['iotCore'];
}): Promise<CreatedResource[]> {
  const { aws } = input;
  const missing: CreatedResource[] = [];
  const { caCertificateFile, domainConfiguration, safetyNet } = input.iotCore;
  if (caCertificateFile) {
    const pem = readPem(caCertificateFile);
    if (!(await caCertificateExists(aws, pem))) {
      // Which id registering gives depends on the service (IoT Core or moto), so both are
      // listed. The one never used is harmless: removal counts not-found as removed.
      for (const id of caCertificateIds(pem)) missing.push({ kind: 'ca-certificate', id });
    }
  }
  if (domainConfiguration && !(await domainConfigurationExists(aws, domainConfiguration.name))) {
    missing.push({ kind: 'domain-configuration', id: domainConfiguration.name });
  }
  if (safetyNet && !(await bucketExists(aws, safetyNet.bucket))) {
    missing.push({ kind: 'bucket', id: safetyNet.bucket });
  }
  if (safetyNet && !(await topicRuleExists(aws, safetyNet.ruleName))) {
    missing.push({ kind: 'topic-rule', id: safetyNet.ruleName });
  }
  log.info('iot core surveyed', { missing: missing.map((m) => `${m.kind}:${m.id}`) });
  return missing;
}
