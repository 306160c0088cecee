import { DEFAULT_PORTS, loadSandboxConfig, sandboxEndpoints } from '../../../sandbox/config';

describe('loadSandboxConfig', () => {
  it('uses the default ports on 127.0.0.1 when nothing is set', () => {
    const config = loadSandboxConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.ports).toEqual(DEFAULT_PORTS);
    expect(config.home).toMatch(/\.fleetshift\/sandbox$/);
  });

  it('shifts every port by the offset and lets one port be pinned', () => {
    const config = loadSandboxConfig({
      FLEETSHIFT_PORT_OFFSET: '100',
      FLEETSHIFT_PORT_MOTO: '6000',
    });
    expect(config.ports.temporal).toBe(DEFAULT_PORTS.temporal + 100);
    expect(config.ports.legacyMqtt).toBe(DEFAULT_PORTS.legacyMqtt + 100);
    expect(config.ports.moto).toBe(6000);
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadSandboxConfig({ FLEETSHIFT_PORT_OFFSET: 'many', FLEETSHIFT_PORT_TEMPORAL_UI: '70000' }),
    ).toThrow(/FLEETSHIFT_PORT_OFFSET: .*FLEETSHIFT_PORT_TEMPORAL_UI: /);
  });

  it('derives loopback client addresses from the ports', () => {
    const endpoints = sandboxEndpoints(loadSandboxConfig({}));
    expect(endpoints).toEqual({
      temporalAddress: '127.0.0.1:7233',
      temporalUiUrl: 'http://127.0.0.1:8233',
      awsEndpoint: 'http://127.0.0.1:5100',
      legacyBrokerUrl: 'mqtt://127.0.0.1:1883',
      iotCoreBrokerUrl: 'mqtts://127.0.0.1:8883',
    });
  });
});
