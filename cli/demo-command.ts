import { Command } from 'commander';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { demoSucceeded, formatDemoSummary, runDemo } from '../sandbox/demo';
import { CliError } from './failure';

const optionsSchema = z.object({
  devices: z.coerce.number().int().min(1).max(20_000),
  chaos: z.boolean(),
  json: z.boolean(),
});

/** `fleetshift demo`: the sandbox rehearsal of a whole migration (the README's main job). */
export function demoCommand(): Command {
  return new Command('demo')
    .description('rehearse a whole migration on the local sandbox with a simulated fleet')
    .option('--devices <n>', 'simulated devices (1 to 20000)', '1000')
    .option('--chaos', 'make the IoT Core stand-in fail mid-way; the migration rolls back', false)
    .option('--json', 'end with one JSON line: the summary', false)
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw, { error: plainError });
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
        throw new CliError(`demo: ${problems.join('; ')}`);
      }
      const { devices, chaos, json } = parsed.data;
      const write = (line: string): boolean =>
        (json ? process.stderr : process.stdout).write(`${line}\n`);

      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const summary = await runDemo({ devices, chaos, progress: write, signal: abort.signal });

      write(formatDemoSummary(summary));
      if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (!demoSucceeded(summary)) {
        process.exitCode = 1;
        write('demo failed: the migration did not complete, or messages were lost');
      }
    });
}
