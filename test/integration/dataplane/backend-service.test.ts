import { readFileSync } from 'node:fs';

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';

import { loadSandboxConfig } from '../../../sandbox';
import {
  backendServiceDescription,
  createSandboxResources,
  type DnsServerHandle,
  type EcsAgentHandle,
  ecsClient,
  ensureDataplaneCertificates,
  type FleetHandle,
  reconcileLedger,
  sandboxBrokerTargets,
  type SandboxResourcesHandle,
  startDnsServer,
  startEcsAgent,
  startFleet,
} from '../../../sandbox/dataplane';
import { resourcesFixture, tempDir, testAws, unique, waitFor } from './fixtures';

jest.setTimeout(90_000);

/**
 * The whole loop as the demo runs it: the ECS agent runs real `fleetshift sandbox backend`
 * processes from task definitions in moto, devices find the broker through DNS, and the ledger
 * reconciles what devices and backend processes wrote to their own files.
 */
describe('sample backend instances run by the ECS agent', () => {
  const ledgerDir = tempDir('backend-ledger');
  const group = unique('grp');
  const service = (broker: 'legacy' | 'iot-core', count: number) => {
    // info level, so each instance logs 'backend started' once subscribed (the test waits for it).
    const env = { FLEETSHIFT_LOG_LEVEL: 'info' };
    const base = backendServiceDescription(`backend-${broker}`, broker, count, env);
    const flags = ['--group', group, '--command-every', '2', '--ledger-dir', ledgerDir];
    return { ...base, command: [...base.command, ...flags, '--drain-seconds', '5'] };
  };
  const description = resourcesFixture({
    weights: { legacy: 50, 'iot-core': 50 },
    services: [service('legacy', 2), service('iot-core', 1)],
  });
  const agentHome = tempDir('backend-agent');
  let resources: SandboxResourcesHandle;
  let agent: EcsAgentHandle;
  let dns: DnsServerHandle;
  let fleet: FleetHandle;

  beforeAll(async () => {
    ensureDataplaneCertificates(loadSandboxConfig());
    resources = await createSandboxResources(testAws(), description);
    agent = await startEcsAgent({
      aws: testAws(),
      cluster: description.cluster,
      home: agentHome,
      pollMs: 500,
      graceMs: 8000,
    });
    // Telemetry published before any backend subscribed is dropped by the broker, rightly
    // counted lost; so devices start once every backend instance is subscribed.
    await waitFor(() => backendsSubscribed(agent, agentHome, 3), 'backends subscribed', 30_000);
    dns = await startDnsServer({
      recordName: description.recordName,
      route53: { aws: testAws(), hostedZoneId: resources.hostedZoneId },
    });
    const brokers = sandboxBrokerTargets(loadSandboxConfig());
    brokers.legacy.target = description.targets.legacy;
    brokers['iot-core'].target = description.targets['iot-core'];
    fleet = startFleet({
      devices: 12,
      dns: { server: dns.address, recordName: description.recordName },
      brokers,
      idPrefix: unique('be'),
      telemetryIntervalMs: 300,
      reconnectEveryMs: 0, // devices stay put: commands need no bridge in this test
      ledgerDir,
    });
  });
  afterAll(async () => {
    await fleet?.stop(0);
    await agent?.stop();
    await dns?.stop();
    await resources?.stop();
  });

  it('answers telemetry with commands that devices ack, and loses nothing on scale-down', async () => {
    await waitFor(() => fleet.snapshot().commandsReceived >= 30, 'commands from backends', 45_000);
    const byBroker = fleet.snapshot().connected;
    expect(byBroker.legacy + byBroker['iot-core']).toBe(12);

    // Scale the legacy service down by one: the stopped instance drains its acks first.
    const ecs = ecsClient(testAws());
    await ecs.send(
      new UpdateServiceCommand({
        cluster: description.cluster,
        service: 'backend-legacy',
        desiredCount: 1,
      }),
    );
    ecs.destroy();
    await waitFor(() => agent.services()['backend-legacy']?.running === 1, 'scale-down', 20_000);

    // A clean end: devices go quiet but stay to ack, their telemetry is acked by the broker,
    // backends drain outstanding commands, and only then do devices disconnect.
    fleet.quiesce();
    await waitFor(() => fleet.snapshot().unacked === 0, 'telemetry acked by the brokers');
    await agent.stop(); // SIGTERM: backends drain outstanding acks, then flush ledgers
    await fleet.stop(0);
    const report = reconcileLedger(ledgerDir);
    expect(report['device-to-backend'].sent).toBeGreaterThan(50);
    expect(report['device-to-backend']).toMatchObject({ lost: 0, unexpected: 0 });
    expect(report['backend-to-device'].sent).toBeGreaterThanOrEqual(30);
    expect(report['backend-to-device']).toMatchObject({ lost: 0, unexpected: 0 });
  });
});

function backendsSubscribed(agent: EcsAgentHandle, home: string, expected: number): boolean {
  const ready = Object.entries(agent.services()).flatMap(([service, state]) =>
    state.instanceIds.filter((id) => {
      try {
        return readFileSync(`${home}/ecs/${service}/${id}.log`, 'utf8').includes('backend started');
      } catch {
        return false;
      }
    }),
  );
  return ready.length === expected;
}
