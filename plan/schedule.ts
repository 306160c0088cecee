// The schedule a plan implies: what `fleetshift plan check` prints and what the status counts.
import { type BackendServicePlan, type MigrationPlan } from './schema';

/** One step of the devices phase. */
export interface DeviceStep {
  iotCorePercent: number;
  /** Gate name an operator approves, or null when the step goes on by itself. */
  gate: string | null;
  soakSeconds: number;
}

/** The phases of a plan and how long they take at least (gates not counted). */
export interface Schedule {
  preparation: { canary: boolean; readiness: string[] };
  backends: { service: string; steps: number; minimumSeconds: number }[];
  backendsMinimumSeconds: number;
  devices: DeviceStep[];
  devicesMinimumSeconds: number;
  cleanupMinimumSeconds: number;
  gates: string[];
  minimumSeconds: number;
}

/** The gate name for a DNS step: `dns-25` for 25 percent to IoT Core. */
export function gateName(iotCorePercent: number): string {
  return `dns-${iotCorePercent}`;
}

/** Instances moved at each step of a service, for example 4 instances by 3 gives [3, 1]. */
export function serviceBatches(service: BackendServicePlan): number[] {
  const batches: number[] = [];
  for (let moved = 0; moved < service.instances; moved += service.batchSize) {
    batches.push(Math.min(service.batchSize, service.instances - moved));
  }
  return batches;
}

/** Works out the schedule of a valid plan. */
export function buildSchedule(plan: MigrationPlan): Schedule {
  const backends = plan.backends.services.map((service) => {
    const steps = serviceBatches(service).length;
    return { service: service.name, steps, minimumSeconds: steps * service.verifySeconds };
  });
  const devices = plan.dns.stepsPercent.map((iotCorePercent) => ({
    iotCorePercent,
    gate: plan.dns.approvalStepsPercent.includes(iotCorePercent) ? gateName(iotCorePercent) : null,
    soakSeconds: plan.dns.soakSeconds,
  }));
  const backendsMinimumSeconds = makespan(
    backends.map((b) => b.minimumSeconds),
    plan.backends.maxParallelServices,
  );
  const devicesMinimumSeconds = devices.reduce((sum, step) => sum + step.soakSeconds, 0);
  const cleanupMinimumSeconds = plan.cleanup.zeroTrafficWindowSeconds;
  const readiness = [
    plan.iotCore.caCertificateFile ? 'register CA' : null,
    plan.iotCore.domainConfiguration ? 'domain configuration' : null,
    plan.iotCore.safetyNet ? 'S3 safety-net rule' : null,
  ].filter((x): x is string => x !== null);
  return {
    preparation: { canary: plan.canary.enabled, readiness },
    backends,
    backendsMinimumSeconds,
    devices,
    devicesMinimumSeconds,
    cleanupMinimumSeconds,
    gates: devices.flatMap((d) => (d.gate ? [d.gate] : [])),
    minimumSeconds: backendsMinimumSeconds + devicesMinimumSeconds + cleanupMinimumSeconds,
  };
}

/** Time to run jobs in order on `slots` parallel slots, each job taking the next free slot. */
function makespan(durations: number[], slots: number): number {
  const freeAt = new Array<number>(Math.max(1, slots)).fill(0);
  for (const duration of durations) {
    const slot = freeAt.indexOf(Math.min(...freeAt));
    freeAt[slot] += duration;
  }
  return Math.max(...freeAt);
}

/** A duration for people: `1h 05m 00s`. */
export function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}

/** The schedule as `fleetshift plan check` prints it. */
export function formatSchedule(plan: MigrationPlan, schedule: Schedule): string {
  const lines = [`plan ${plan.name}: valid`, '', 'phase 0 preparation'];
  lines.push(`  reachability of both brokers and AWS (${plan.aws.region})`);
  if (schedule.preparation.readiness.length) {
    lines.push(`  IoT Core readiness: ${schedule.preparation.readiness.join(', ')}`);
  }
  lines.push(
    `  bridge: ${plan.bridge.deviceToBackend.instances} device-to-backend, ` +
      `${plan.bridge.backendToDevice.instances} backend-to-device instances`,
  );
  if (schedule.preparation.canary) lines.push('  canary probes both ways through the bridge');
  lines.push('', `phase 1 backends (${plan.backends.maxParallelServices} in parallel)`);
  for (const b of schedule.backends) {
    lines.push(`  ${b.service}: ${b.steps} steps, at least ${formatDuration(b.minimumSeconds)}`);
  }
  lines.push('', 'phase 2 devices');
  for (const step of schedule.devices) {
    const gate = step.gate ? `  gate ${step.gate} (approve first)` : '';
    lines.push(
      `  ${String(step.iotCorePercent).padStart(3)}% to IoT Core, soak ${step.soakSeconds}s${gate}`,
    );
  }
  lines.push('', 'phase 3 cleanup');
  lines.push(`  wait for ${plan.cleanup.zeroTrafficWindowSeconds}s of zero legacy traffic`);
  lines.push(
    `  bridge to zero${plan.cleanup.decommissionLegacy ? ', decommission legacy broker' : ''}`,
  );
  lines.push('');
  lines.push(`gates: ${schedule.gates.length ? schedule.gates.join(', ') : 'none'}`);
  lines.push(
    `minimum duration: ${formatDuration(schedule.minimumSeconds)} (time at gates not counted)`,
  );
  return lines.join('\n');
}
