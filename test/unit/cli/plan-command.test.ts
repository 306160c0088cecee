import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

/** Runs the real `fleetshift plan check FILE`; nothing else is started. */
async function planCheck(file: string): Promise<{ code: number; stderr: string }> {
  try {
    await run('node', ['bin/fleetshift.js', 'plan', 'check', file], { cwd: root });
    return { code: 0, stderr: '' };
  } catch (err) {
    const failed = err as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('fleetshift plan check', () => {
  it('prints schema and cross-field problems together, with paths, and exits non-zero', async () => {
    const { code, stderr } = await planCheck('examples/broken-plan.json');
    expect(code).toBe(1);
    expect(stderr).toContain('has 8 problems:');
    for (const line of [
      'aws.endpoint: must be a URL',
      'backends.services.0.instances: ',
      'analysis.missingData: ',
      'dns.stepsPercent.1: steps must rise strictly',
      'dns.approvalStepsPercent.0: 7 is not one of dns.stepsPercent',
      'backends.services.1.name: duplicate name',
    ]) {
      expect(stderr).toContain(`  ${line}`);
    }
  }, 30_000);
});
