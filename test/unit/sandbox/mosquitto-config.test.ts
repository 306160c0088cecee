import {
  renderIotCoreBrokerConfig,
  renderLegacyBrokerConfig,
} from '../../../sandbox/mosquitto-config';

const layout = { bind: '127.0.0.1', port: 8883, dataDir: '/data' };
const tls = { caFile: '/pki/ca.crt', certFile: '/pki/server.crt', keyFile: '/pki/server.key' };

describe('the broker configurations', () => {
  it('lets the legacy broker take anonymous MQTT on loopback only', () => {
    const conf = renderLegacyBrokerConfig({ ...layout, port: 1883 });
    expect(conf).toContain('listener 1883 127.0.0.1');
    expect(conf).toContain('allow_anonymous true');
    expect(conf).toContain('persistence_location /data/');
  });

  it('makes the IoT Core stand-in demand a client certificate from the customer CA', () => {
    const conf = renderIotCoreBrokerConfig(layout, tls);
    expect(conf).toContain('require_certificate true');
    expect(conf).toContain('cafile /pki/ca.crt');
    expect(conf).toContain('allow_anonymous false');
  });

  it('caps the stand-in at QoS 1 inside its listener and at 128 KiB payloads', () => {
    const lines = renderIotCoreBrokerConfig(layout, tls).split('\n');
    const listenerAt = lines.indexOf('listener 8883 127.0.0.1');
    expect(lines.indexOf('max_qos 1')).toBeGreaterThan(listenerAt);
    const packetLimit = Number(lines.find((l) => l.startsWith('max_packet_size'))?.split(' ')[1]);
    expect(packetLimit).toBeGreaterThanOrEqual(128 * 1024);
    expect(packetLimit).toBeLessThan(140_000);
  });

  it('names a user to run as only when asked', () => {
    expect(renderLegacyBrokerConfig(layout)).not.toMatch(/^user /m);
    expect(renderLegacyBrokerConfig({ ...layout, runAsUser: 'root' })).toMatch(/^user root$/m);
  });
});
