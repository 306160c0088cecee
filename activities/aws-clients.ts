// One set of AWS SDK v3 clients per AWS configuration. With an endpoint (the moto emulator) the
// clients use the plan's static credentials and never the default provider chain, which could
// reach for the EC2 instance metadata address.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IoTClient } from '@aws-sdk/client-iot';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';

/** Where and how to reach AWS: the plan's `aws` section. */
export interface AwsTarget {
  region: string;
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The AWS clients the activities use. */
export interface AwsClients {
  route53: Route53Client;
  ecs: ECSClient;
  cloudWatch: CloudWatchClient;
  iot: IoTClient;
  s3: S3Client;
}

const cache = new Map<string, AwsClients>();

/** Clients for `target`, created once per distinct target. */
export function awsClients(target: AwsTarget): AwsClients {
  const key = JSON.stringify([target.region, target.endpoint, target.accessKeyId]);
  let clients = cache.get(key);
  if (!clients) {
    clients = createClients(target);
    cache.set(key, clients);
  }
  return clients;
}

function createClients(target: AwsTarget): AwsClients {
  const common = {
    region: target.region,
    // Temporal retries activities; SDK retries inside one attempt would only hide the fault.
    maxAttempts: 2,
    ...(target.endpoint
      ? {
          endpoint: target.endpoint,
          credentials: {
            accessKeyId: target.accessKeyId,
            secretAccessKey: target.secretAccessKey,
          },
        }
      : {}),
  };
  return {
    route53: new Route53Client(common),
    ecs: new ECSClient(common),
    cloudWatch: new CloudWatchClient(common),
    iot: new IoTClient(common),
    // Emulators serve buckets by path, not by virtual host names.
    s3: new S3Client({ ...common, forcePathStyle: target.endpoint !== undefined }),
  };
}
