import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { Route53Client } from '@aws-sdk/client-route-53';

/** Where the data plane finds the AWS APIs: in the sandbox, moto on loopback. */
export interface AwsTarget {
  /** For example `http://127.0.0.1:5100`. */
  endpoint: string;
  /** @default 'us-east-1' */
  region?: string;
  /** @default { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const SANDBOX_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

// Static credentials always: the SDK's default chain may ask the instance metadata address,
// which the sandbox must never reach.
function clientConfig(target: AwsTarget): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  return {
    endpoint: target.endpoint,
    region: target.region ?? 'us-east-1',
    credentials: target.credentials ?? SANDBOX_CREDENTIALS,
    maxAttempts: 2,
  };
}

/** An ECS client for the sandbox's emulator. */
export function ecsClient(target: AwsTarget): ECSClient {
  return new ECSClient(clientConfig(target));
}

/** A Route 53 client for the sandbox's emulator. */
export function route53Client(target: AwsTarget): Route53Client {
  return new Route53Client(clientConfig(target));
}

/** A CloudWatch client for the sandbox's emulator. */
export function cloudWatchClient(target: AwsTarget): CloudWatchClient {
  return new CloudWatchClient(clientConfig(target));
}
