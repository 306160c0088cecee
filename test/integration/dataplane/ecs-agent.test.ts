import { readFileSync } from 'node:fs';

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';

import {
  createSandboxResources,
  type EcsAgentHandle,
  ecsClient,
  type SandboxResourcesHandle,
  scaleEventsFile,
  startEcsAgent,
} from '../../../sandbox/dataplane';
import { resourcesFixture, tempDir, testAws, waitFor } from './fixtures';

jest.setTimeout(60_000);

// A stand-in service: prints its instance id, runs until SIGTERM, or ignores it when asked to.
const SERVICE_SCRIPT = [
  'console.log("instance " + process.env.FLEETSHIFT_INSTANCE_ID + " role " + process.env.ROLE);',
  'process.on("SIGTERM", () => { if (!process.env.IGNORE_SIGTERM) process.exit(0); });',
  'setInterval(() => {}, 1000);',
].join('\n');

describe('the local ECS agent', () => {
  const description = resourcesFixture({
    services: [
      {
        name: 'worker',
        command: ['node', '-e', SERVICE_SCRIPT],
        environment: { ROLE: 'sample' },
        desiredCount: 3,
      },
      {
        name: 'stubborn',
        command: ['node', '-e', SERVICE_SCRIPT],
        environment: { IGNORE_SIGTERM: '1' },
        desiredCount: 1,
      },
    ],
  });
  const home = tempDir('ecs-agent');
  let resources: SandboxResourcesHandle;
  let agent: EcsAgentHandle;

  beforeAll(async () => {
    resources = await createSandboxResources(testAws(), description);
    agent = await startEcsAgent({
      aws: testAws(),
      cluster: description.cluster,
      home,
      pollMs: 300,
      graceMs: 1000,
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await resources?.stop();
  });

  const setDesired = async (service: string, desiredCount: number): Promise<void> => {
    const ecs = ecsClient(testAws());
    await ecs.send(
      new UpdateServiceCommand({ cluster: description.cluster, service, desiredCount }),
    );
    ecs.destroy();
  };
  const running = (service: string): number => agent.services()[service]?.running ?? 0;

  it('starts as many processes as the desired count, each with a unique instance id', async () => {
    await waitFor(() => running('worker') === 3 && running('stubborn') === 1, '3 + 1 instances');
    const ids = agent.services().worker.instanceIds;
    expect(new Set(ids).size).toBe(3);

    // The task definition's environment and the instance id reach the process.
    await waitFor(
      () => ids.every((id) => logOf(home, id).includes(`instance ${id} role sample`)),
      'each instance to print its id',
    );
  });

  it('restarts an instance that was killed, under the same instance id', async () => {
    const before = agent.services().worker;
    const [victim] = before.instanceIds;
    const victimPid = before.pids[victim]!;
    process.kill(victimPid, 'SIGKILL');

    // The replacement takes the free slot, so it resumes the victim's broker session.
    await waitFor(() => {
      const now = agent.services().worker;
      return now.running === 3 && now.pids[victim] !== undefined && now.pids[victim] !== victimPid;
    }, 'a replacement instance');
    expect(new Set(agent.services().worker.instanceIds)).toEqual(new Set(before.instanceIds));
    expect(agent.services().worker.restarts).toBe(1);
  });

  it('scales down with SIGTERM, and SIGKILL after the grace period', async () => {
    await setDesired('worker', 1);
    await setDesired('stubborn', 0);
    await waitFor(() => running('worker') === 1 && running('stubborn') === 0, 'scale-down', 15_000);
    expect(agent.services().worker.restarts).toBe(1); // a stop on purpose is not a crash
  });

  it('records each scale event with its time, to place a lost message against', () => {
    const events = readFileSync(scaleEventsFile(home), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const of = (msg: string) => events.filter((e) => e.msg === msg && e.service === 'worker');

    expect(of('ecs desired count')).toContainEqual(expect.objectContaining({ from: 3, to: 1 }));
    const stopping = of('ecs instance stopping');
    expect(stopping).toHaveLength(2);
    expect(stopping.every((e) => e.reason === 'scale-down')).toBe(true);
    expect(
      of('ecs instance stopped')
        .map((e) => e.instanceId)
        .sort(),
    ).toEqual(stopping.map((e) => e.instanceId).sort());
    expect(of('ecs instance started')).toHaveLength(4); // three, and one after the kill
    expect(of('ecs instance exited; will restart')).toHaveLength(1);
    expect(events.every((e) => typeof e.time === 'number')).toBe(true);
  });

  it('writes what runs locally to a status file, since moto cannot know it', () => {
    const status = JSON.parse(readFileSync(`${home}/ecs/status.json`, 'utf8')) as {
      services: Record<string, { desired: number; running: number }>;
    };
    expect(status.services.worker).toMatchObject({ desired: 1, running: 1 });
  });
});

function logOf(home: string, instanceId: string): string {
  const service = instanceId.split('-')[0];
  try {
    return readFileSync(`${home}/ecs/${service}/${instanceId}.log`, 'utf8');
  } catch {
    return '';
  }
}
