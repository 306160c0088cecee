import path from 'node:path';

import {
  formatProblems,
  type MigrationPlan,
  type MigrationPlanInput,
  parsePlan,
  PlanError,
  readPlanFile,
} from '../../plan';
import { issueClientCertificate } from '../certificates';
import { PROJECT_ROOT, type SandboxConfig, sandboxEndpoints } from '../config';
import { pkiDir } from '../services';

/** The plan file the demo rehearses. */
export const DEMO_PLAN_FILE = path.join(PROJECT_ROOT, 'examples', 'sandbox.yaml');

/**
 * Reads the demo plan and aims it at this sandbox: its broker and AWS addresses (which move with
 * FLEETSHIFT_PORT_OFFSET) and absolute paths to the customer CA and the canary's certificate, so
 * the worker finds them whatever its working folder.
 */
export function loadDemoPlan(config: SandboxConfig, file = DEMO_PLAN_FILE): MigrationPlan {
  const raw = readPlanFile(file) as MigrationPlanInput;
  const endpoints = sandboxEndpoints(config);
  const canary = issueClientCertificate(pkiDir(config), 'sandbox-canary');
  const caFile = path.join(pkiDir(config), 'ca.crt');

  const aimed: MigrationPlanInput = {
    ...raw,
    brokers: {
      legacy: { ...raw.brokers?.legacy, url: endpoints.legacyBrokerUrl },
      iotCore: {
        ...raw.brokers?.iotCore,
        url: endpoints.iotCoreBrokerUrl,
        caFile,
        certFile: canary.cert,
        keyFile: canary.key,
      },
    },
    aws: { ...raw.aws, endpoint: endpoints.awsEndpoint },
    iotCore: { ...raw.iotCore, caCertificateFile: caFile },
  };

  const parsed = parsePlan(aimed);
  if (!parsed.ok) {
    throw new PlanError(`demo plan ${file} is not valid:\n${formatProblems(parsed.problems)}`);
  }
  return parsed.plan;
}
