import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

// The gate name is checked before anything connects to Temporal: a mistyped gate would
// otherwise be remembered by the workflow and never match.
describe('fleetshift approve --gate', () => {
  it.each(['devices-25', 'g25', 'dns-0', 'dns-101'])(
    'refuses %s with the form gates take, and exits non-zero',
    async (gate) => {
      const failed = await run(
        'node',
        ['bin/fleetshift.js', 'approve', '--gate', gate, '--reason', 'test'],
        { cwd: root },
      ).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`'${gate}' is invalid`);
      expect(failed?.stderr).toContain('gates are named dns-<percent to IoT Core>, e.g. dns-50');
    },
    30_000,
  );
});
