import dns from 'node:dns';

import {
  type DnsServerHandle,
  startDnsServer,
  type WeightedRecord,
} from '../../../sandbox/dataplane';

const records: WeightedRecord[] = [
  { setIdentifier: 'legacy', weight: 3, target: 'legacy.broker.sandbox.', ttlSeconds: 7 },
  { setIdentifier: 'iot-core', weight: 1, target: 'iot-core.broker.sandbox.', ttlSeconds: 7 },
];

describe('the sandbox DNS server', () => {
  let server: DnsServerHandle;
  let resolver: dns.promises.Resolver;
  beforeAll(async () => {
    let i = 0;
    server = await startDnsServer({
      recordName: 'mqtt.fleet.sandbox',
      source: async () => records,
      random: () => (i++ % 4) / 4, // 0, .25, .5, .75: three legacy answers, then one iot-core
    });
    resolver = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([server.address]);
  });
  afterAll(() => server.stop());

  it('answers the record name with CNAME targets in proportion to the weights', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 8; i++)
      answers.push(...(await resolver.resolveCname('mqtt.fleet.sandbox')));
    expect(answers.filter((a) => a === 'legacy.broker.sandbox')).toHaveLength(6);
    expect(answers.filter((a) => a === 'iot-core.broker.sandbox')).toHaveLength(2);
  });

  it('gives A queries the loopback address with the record TTL', async () => {
    const answers = await resolver.resolve4('mqtt.fleet.sandbox', { ttl: true });
    expect(answers).toEqual([{ address: '127.0.0.1', ttl: 7 }]);
  });

  it('resolves the CNAME targets themselves to loopback', async () => {
    expect(await resolver.resolve4('iot-core.broker.sandbox')).toEqual(['127.0.0.1']);
  });

  it('answers NXDOMAIN for any other name', async () => {
    await expect(resolver.resolve4('example.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
