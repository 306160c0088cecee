import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

import {
  dockerIotCoreBrokerConfig,
  dockerLegacyBrokerConfig,
  loadSandboxConfig,
  PROJECT_ROOT,
  sandboxServices,
} from '../../../sandbox';
import { DEFAULT_PORTS } from '../../../sandbox/config';

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

function mountedFile(service: ComposeService, target: string): string {
  const mount = service.volumes?.find((v) => v.split(':')[1] === target);
  if (!mount) throw new Error(`nothing is mounted at ${target}`);
  return readFileSync(path.join(PROJECT_ROOT, mount.split(':')[0]), 'utf8');
}

describe('docker-compose.yml', () => {
  it('has the same services as the sandbox', () => {
    const sandbox = sandboxServices(loadSandboxConfig({})).map((s) => s.name);
    expect(Object.keys(compose.services).sort()).toEqual([...sandbox].sort());
  });

  it('publishes each default sandbox port on 127.0.0.1 only', () => {
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect(compose.services.temporal.ports).toEqual([
      `127.0.0.1:${DEFAULT_PORTS.temporal}:${DEFAULT_PORTS.temporal}`,
      `127.0.0.1:${DEFAULT_PORTS.temporalUi}:${DEFAULT_PORTS.temporalUi}`,
    ]);
    expect(compose.services.temporal.command).toEqual(
      expect.arrayContaining([
        `--port=${DEFAULT_PORTS.temporal}`,
        `--ui-port=${DEFAULT_PORTS.temporalUi}`,
      ]),
    );
    expect(compose.services.moto.ports).toEqual([
      `127.0.0.1:${DEFAULT_PORTS.moto}:${DEFAULT_PORTS.moto}`,
    ]);
    expect(compose.services.moto.environment?.MOTO_PORT).toBe(String(DEFAULT_PORTS.moto));
    expect(compose.services['legacy-broker'].ports).toEqual([
      `127.0.0.1:${DEFAULT_PORTS.legacyMqtt}:${DEFAULT_PORTS.legacyMqtt}`,
    ]);
    expect(compose.services['iot-core'].ports).toEqual([
      `127.0.0.1:${DEFAULT_PORTS.iotCoreMqtts}:${DEFAULT_PORTS.iotCoreMqtts}`,
    ]);
  });

  it('mounts broker configurations identical to what the sandbox renders', () => {
    const target = '/mosquitto/config/mosquitto.conf';
    expect(mountedFile(compose.services['legacy-broker'], target)).toBe(dockerLegacyBrokerConfig());
    expect(mountedFile(compose.services['iot-core'], target)).toBe(dockerIotCoreBrokerConfig());
  });

  it('mounts the customer CA folder the sandbox generates', () => {
    const pki = compose.services['iot-core'].volumes?.find((v) =>
      v.endsWith(':/mosquitto/certs:ro'),
    );
    expect(pki?.split(':')[0]).toBe('./.fleetshift/sandbox/pki');
  });
});
