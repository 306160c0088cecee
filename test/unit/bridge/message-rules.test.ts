import {
  type BridgeConfigError,
  carriesHop,
  filtersOverlap,
  hopMarker,
  iotCoreRefusal,
  mapProperties,
  parseBridgeConfig,
  rewriteTopic,
  topicMatches,
} from '../../../bridge';

describe('iotCoreRefusal', () => {
  it('accepts what IoT Core accepts, right up to each limit', () => {
    expect(iotCoreRefusal('a/b/c/d/e/f/g/h', 128 * 1024)).toBeUndefined();
    expect(iotCoreRefusal('t'.repeat(256), 0)).toBeUndefined();
  });

  it.each([
    ['$SYS/broker/uptime', 10, 'system-topic'],
    ['$aws/things/x/shadow/update', 10, 'system-topic'],
    ['dev/1', 140_000, 'payload-too-large'],
    ['t'.repeat(257), 10, 'topic-too-long'],
    [`dev/${'é'.repeat(127)}`, 10, 'topic-too-long'],
    ['a/b/c/d/e/f/g/h/i', 10, 'topic-too-deep'],
  ])('refuses %s with %i bytes as %s', (topic, bytes, reason) => {
    expect(iotCoreRefusal(topic, bytes)).toBe(reason);
  });
});

describe('mapProperties', () => {
  const inbound = {
    userProperties: { trace: 'abc', a: ['1', '2'] },
    contentType: 'application/json',
    responseTopic: 'resp/dev1',
    correlationData: Buffer.from([1, 2]),
    payloadFormatIndicator: true,
    messageExpiryInterval: 60,
    topicAlias: 5,
    subscriptionIdentifier: 3,
  };

  it('carries over the message properties and drops the connection-scoped ones', () => {
    const mapping = mapProperties(inbound, 1200, undefined);
    expect(mapping).toEqual({
      kind: 'forward',
      properties: {
        userProperties: { trace: 'abc', a: ['1', '2'] },
        contentType: 'application/json',
        responseTopic: 'resp/dev1',
        correlationData: Buffer.from([1, 2]),
        payloadFormatIndicator: true,
        messageExpiryInterval: 59,
      },
    });
  });

  it('reduces the expiry by the seconds spent, rounded to the nearest second', () => {
    const expiry = (ms: number): unknown => {
      const m = mapProperties({ messageExpiryInterval: 60 }, ms, undefined);
      return m.kind === 'forward' ? m.properties?.messageExpiryInterval : m.kind;
    };
    expect(expiry(0)).toBe(60);
    expect(expiry(1)).toBe(60);
    expect(expiry(600)).toBe(59);
    expect(expiry(2500)).toBe(57);
    expect(expiry(59_400)).toBe(1);
    expect(expiry(60_000)).toBe('expired');
  });

  it('adds the hop marker after the user properties, and recognises it', () => {
    const mapping = mapProperties(inbound, 0, 'fs');
    if (mapping.kind !== 'forward') throw new Error('expected forward');
    expect(Object.keys(mapping.properties?.userProperties ?? {})).toEqual([
      'trace',
      'a',
      'fleetshift-hop',
    ]);
    expect(carriesHop(mapping.properties, 'fs')).toBe(true);
    expect(carriesHop(mapping.properties, 'other')).toBe(false);
    expect(carriesHop(inbound, 'fs')).toBe(false);
  });

  it('replaces a hop marker copied from another message with its own', () => {
    const copied = { userProperties: { 'fleetshift-hop': hopMarker('fs', 'req/1'), trace: 'x' } };

    const mapping = mapProperties(copied, 0, hopMarker('fs', 'resp/1'));

    if (mapping.kind !== 'forward') throw new Error('expected forward');
    expect(mapping.properties?.userProperties).toEqual({
      trace: 'x',
      'fleetshift-hop': hopMarker('fs', 'resp/1'),
    });
  });

  it('makes a marker per bridge and topic', () => {
    expect(hopMarker('fs', 'dev/1/t')).toMatch(/^fs#[0-9a-f]{8}$/);
    expect(hopMarker('fs', 'dev/1/t')).toBe(hopMarker('fs', 'dev/1/t'));
    expect(hopMarker('fs', 'dev/1/t')).not.toBe(hopMarker('fs', 'dev/2/t'));
    expect(hopMarker('fs', 'dev/1/t')).not.toBe(hopMarker('other', 'dev/1/t'));
  });

  it('sends no properties when there are none to carry', () => {
    expect(mapProperties(undefined, 5, undefined)).toEqual({
      kind: 'forward',
      properties: undefined,
    });
  });
});

describe('topic filters', () => {
  it('matches wildcards level by level and keeps $ topics out of leading wildcards', () => {
    expect(topicMatches('dev/#', 'dev/1/cfg')).toBe(true);
    expect(topicMatches('dev/+/cfg', 'dev/1/cfg')).toBe(true);
    expect(topicMatches('dev/+', 'dev/1/cfg')).toBe(false);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('dev/#', 'dev')).toBe(true);
  });

  it('finds overlapping filters', () => {
    expect(filtersOverlap('x/#', 'x/up/#')).toBe(true);
    expect(filtersOverlap('x/up/#', 'x/down/#')).toBe(false);
    expect(filtersOverlap('x/+/1', 'x/down/#')).toBe(true);
    expect(filtersOverlap('a/b', 'a/b/c')).toBe(false);
  });

  it('rewrites a prefix and leaves other topics alone', () => {
    const rewrite = { from: 'dev/', to: 'legacy/dev/' };
    expect(rewriteTopic('dev/1/t', rewrite)).toBe('legacy/dev/1/t');
    expect(rewriteTopic('cmd/1', rewrite)).toBe('cmd/1');
  });
});

describe('parseBridgeConfig', () => {
  it('reports every problem at once, each with its path', () => {
    let error: BridgeConfigError | undefined;
    try {
      parseBridgeConfig({
        bridgeId: 'has space',
        direction: 'sideways',
        legacy: { url: 'http://x' },
        iotCore: { url: 'mqtts://127.0.0.1:8883', protocolVersion: 3 },
        sharedGroup: 'g',
        routes: { 'device-to-backend': [{ filter: 'a/#/b' }] },
        downstream: { maxInflight: 10 },
        reconnect: { minMS: 10 },
        deadLetter: { kind: 'file', path: 'dl.jsonl' },
      });
    } catch (err) {
      error = err as BridgeConfigError;
    }
    expect(error?.name).toBe('BridgeConfigError');
    const paths = (error?.problems ?? []).map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'bridgeId',
        'direction',
        'legacy.url',
        'iotCore.protocolVersion',
        'routes.device-to-backend.0.filter',
        // Misspelt keys are named, not silently ignored.
        'downstream',
        'reconnect',
      ]),
    );
    expect(error?.problems.join('\n')).toMatch(/maxInflight/);
  });

  it('fills in IoT Core defaults: 100 publishes per second and 100 in flight per connection', () => {
    const config = parseBridgeConfig({
      bridgeId: 'fs',
      direction: 'device-to-backend',
      legacy: { url: 'mqtt://127.0.0.1:1' },
      iotCore: { url: 'mqtts://127.0.0.1:2' },
      sharedGroup: 'g',
      routes: { 'device-to-backend': [{ filter: 'dev/#' }] },
      deadLetter: { kind: 'file', path: 'dl.jsonl' },
    });
    expect(config.downstream).toMatchObject({ publishesPerSecond: 100, maxInFlight: 100 });
    expect(config.legacy.protocolVersion).toBe(5);
    expect(config.http.host).toBe('127.0.0.1');
  });
});
