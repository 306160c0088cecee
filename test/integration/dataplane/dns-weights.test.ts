import dns from 'node:dns';

import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';

import {
  createSandboxResources,
  type DnsServerHandle,
  route53Client,
  type SandboxResourcesHandle,
  startDnsServer,
} from '../../../sandbox/dataplane';
import { resourcesFixture, testAws } from './fixtures';

jest.setTimeout(30_000);

describe('the DNS server on weighted records in moto', () => {
  const description = resourcesFixture({ weights: { legacy: 80, 'iot-core': 20 }, ttlSeconds: 9 });
  let resources: SandboxResourcesHandle;
  let server: DnsServerHandle;
  let resolver: dns.promises.Resolver;

  beforeAll(async () => {
    resources = await createSandboxResources(testAws(), description);
    server = await startDnsServer({
      recordName: description.recordName,
      route53: { aws: testAws(), hostedZoneId: resources.hostedZoneId },
      refreshMs: 60_000, // the test refreshes by hand after changing weights
    });
    resolver = new dns.promises.Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([server.address]);
  });
  afterAll(async () => {
    await server?.stop();
    await resources?.stop();
  });

  const sample = async (queries: number): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < queries; i++) {
      const [target] = await resolver.resolveCname(description.recordName);
      counts[target] = (counts[target] ?? 0) + 1;
    }
    return counts;
  };

  it('answers in proportion to the weights set in Route 53', async () => {
    const counts = await sample(2000);
    const legacy = counts[description.targets.legacy.replace(/\.$/, '')] ?? 0;
    const iotCore = counts[description.targets['iot-core'].replace(/\.$/, '')] ?? 0;
    expect(legacy + iotCore).toBe(2000);
    // 80/20 over 2000 queries: the standard deviation is about 18, so ±80 is a 4-sigma bound.
    expect(Math.abs(iotCore - 400)).toBeLessThan(80);
  });

  it('answers with the TTL of the records', async () => {
    const answers = await resolver.resolve4(description.recordName, { ttl: true });
    expect(answers).toEqual([{ address: '127.0.0.1', ttl: 9 }]);
  });

  it('follows a weight change made in Route 53', async () => {
    await route53Client(testAws()).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: resources.hostedZoneId,
        ChangeBatch: {
          Changes: (['legacy', 'iot-core'] as const).map((broker) => ({
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: description.recordName,
              Type: 'CNAME',
              SetIdentifier: broker,
              Weight: broker === 'legacy' ? 0 : 100,
              TTL: 9,
              ResourceRecords: [{ Value: description.targets[broker] }],
            },
          })),
        },
      }),
    );
    await server.refresh();
    const counts = await sample(200);
    expect(counts).toEqual({ [description.targets['iot-core'].replace(/\.$/, '')]: 200 });
  });
});
