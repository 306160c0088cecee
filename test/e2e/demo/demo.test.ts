import { spawn } from 'node:child_process';

import { PROJECT_ROOT } from '../../../sandbox';
import { type DemoSummary } from '../../../sandbox/demo';

/** Runs `fleetshift demo` as a person would, on the shared test sandbox, and parses its summary. */
function runDemo(
  args: string[],
): Promise<{ code: number | null; summary: DemoSummary; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/fleetshift.js', 'demo', '--json', ...args], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ code, summary: JSON.parse(last) as DemoSummary, stderr });
      } catch {
        reject(new Error(`demo printed no JSON summary (exit ${code}):\n${stderr.slice(-3000)}`));
      }
    });
  });
}

describe('fleetshift demo', () => {
  it('migrates 200 simulated devices to the IoT Core stand-in with no message lost', async () => {
    const { code, summary, stderr } = await runDemo(['--devices', '200']);

    expect({ outcome: summary.outcome, code }).toEqual({ outcome: 'Succeeded', code: 0 });
    expect(summary.devices.total).toBe(200);
    expect(summary.devices.onLegacy).toBe(0);
    expect(summary.devices.onIotCore).toBeGreaterThanOrEqual(190);
    expect(summary.messages.telemetry.sent).toBeGreaterThan(1000);
    expect(summary.messages.telemetry.lost).toBe(0);
    expect(summary.messages.commands.sent).toBeGreaterThan(100);
    expect(summary.messages.commands.lost).toBe(0);
    expect(summary.rollbacks).toEqual([]);
    expect(stderr).toMatch(/approved gate dns-50 as demo/);
    expect(stderr).toMatch(/approved gate dns-100 as demo/);
  }, 600_000);

  it('rolls back by itself when IoT Core fails mid-way, then completes with no message lost', async () => {
    const { code, summary, stderr } = await runDemo(['--devices', '200', '--chaos']);

    expect({ outcome: summary.outcome, code }).toEqual({ outcome: 'Succeeded', code: 0 });
    expect(summary.rollbacks.length).toBeGreaterThanOrEqual(1);
    const [rollback] = summary.rollbacks;
    expect(rollback.metric).toBe('iot-connect-success-ratio');
    expect(rollback.step).toBeGreaterThanOrEqual(25);
    expect(rollback.value).not.toBeNull();
    expect(rollback.value as number).toBeLessThan(rollback.threshold);
    expect(stderr).toMatch(/resumed after the automatic rollback/);
    expect(summary.devices.onLegacy).toBe(0);
    expect(summary.messages.telemetry.lost).toBe(0);
    expect(summary.messages.commands.lost).toBe(0);
  }, 900_000);
});
