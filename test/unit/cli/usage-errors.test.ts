import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

// Commander's usage errors read like every other failure of the command line: the command's
// name and verb first, then what is wrong, and a non-zero exit.
describe('fleetshift usage errors', () => {
  it.each([
    [['start', '--bogus'], "fleetshift start: unknown option '--bogus'"],
    [['bogus'], "fleetshift: unknown command 'bogus'"],
    [['approve'], "fleetshift approve: required option '--reason <text>' not specified"],
    [['plan', 'check'], "fleetshift plan check: missing required argument 'file'"],
  ])(
    '%j prints "%s"',
    async (args, line) => {
      const failed = await run('node', ['bin/fleetshift.js', ...args], { cwd: root }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr.trim()).toBe(line);
    },
    30_000,
  );
});
