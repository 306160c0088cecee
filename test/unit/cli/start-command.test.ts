import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { defaultMigrationId, startMigration } from '../../../cli/start-command';

describe('startMigration', () => {
  it('refuses a bad plan before contacting Temporal, listing every problem with its path', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fleetshift-start-')), 'plan.json');
    writeFileSync(file, JSON.stringify({ name: '', dns: { stepsPercent: [150] } }));
    // An address nothing can answer on: reaching it would fail differently.
    const start = startMigration(file, { address: '127.0.0.1:1' });
    await expect(start).rejects.toThrow(/plan .*plan\.json has problems:/);
    await expect(start).rejects.toThrow(/name: /);
    await expect(start).rejects.toThrow(/dns\.stepsPercent\.0: /);
  });
});

describe('defaultMigrationId', () => {
  it('names the plan and the UTC start time, without characters ids should avoid', () => {
    const id = defaultMigrationId('fleet-a', new Date('2026-12-04T14:30:05.123Z'));
    expect(id).toBe('fleet-a-2026-12-04T14-30-05Z');
  });
});
