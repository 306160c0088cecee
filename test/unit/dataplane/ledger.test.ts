import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { openLedger, reconcileLedger } from '../../../sandbox/dataplane';

describe('the message ledger', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports nothing lost when every sent message was received', () => {
    const devices = openLedger(dir, 'fleet');
    const backend = openLedger(dir, 'backend-1');
    for (const id of ['d.1', 'd.2']) devices.record('sent', 'device-to-backend', id);
    for (const id of ['d.1', 'd.2']) backend.record('received', 'device-to-backend', id);
    backend.record('sent', 'backend-to-device', 'b.c1');
    devices.record('received', 'backend-to-device', 'b.c1');
    devices.close();
    backend.close();

    const report = reconcileLedger(dir);
    expect(report['device-to-backend']).toEqual({
      sent: 2,
      delivered: 2,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      lostSample: [],
    });
    expect(report['backend-to-device']).toMatchObject({ sent: 1, delivered: 1, lost: 0 });
  });

  it('counts a message never received as lost and a second receipt as a duplicate', () => {
    const devices = openLedger(dir, 'fleet');
    const backendA = openLedger(dir, 'backend-a');
    const backendB = openLedger(dir, 'backend-b');
    for (const id of ['d.1', 'd.2', 'd.3']) devices.record('sent', 'device-to-backend', id);
    backendA.record('received', 'device-to-backend', 'd.1');
    backendB.record('received', 'device-to-backend', 'd.1');
    backendA.record('received', 'device-to-backend', 'd.3');
    backendA.record('received', 'device-to-backend', 'x.9');
    for (const ledger of [devices, backendA, backendB]) ledger.close();

    expect(reconcileLedger(dir)['device-to-backend']).toEqual({
      sent: 3,
      delivered: 2,
      lost: 1,
      duplicated: 1,
      unexpected: 1,
      lostSample: ['d.2'],
    });
  });

  it('keeps earlier lines when a process opens its file again (append only)', () => {
    const first = openLedger(dir, 'fleet');
    first.record('sent', 'backend-to-device', 'c.1');
    first.close();
    const second = openLedger(dir, 'fleet');
    second.record('sent', 'backend-to-device', 'c.2');
    second.close();
    expect(reconcileLedger(dir)['backend-to-device']).toMatchObject({ sent: 2, lost: 2 });
  });

  it('stamps each line with the time it was recorded, and still reads lines without one', () => {
    const before = Date.now();
    const devices = openLedger(dir, 'fleet');
    devices.record('sent', 'device-to-backend', 'd.1');
    devices.close();
    const [line] = readFileSync(path.join(dir, 'fleet.ledger'), 'utf8').trim().split('\n');
    const [, , id, time] = line.split(' ');
    expect(id).toBe('d.1');
    expect(Number(time)).toBeGreaterThanOrEqual(before);
    expect(Number(time)).toBeLessThanOrEqual(Date.now());

    // A backend file from before the time field.
    writeFileSync(path.join(dir, 'backend-old.ledger'), 'R u d.1\n');
    expect(reconcileLedger(dir)['device-to-backend']).toMatchObject({ sent: 1, lost: 0 });
  });

  it('refuses an id with white space, which would corrupt the line format', () => {
    const ledger = openLedger(dir, 'fleet');
    expect(() => ledger.record('sent', 'device-to-backend', 'a b')).toThrow(/white space/);
    ledger.close();
  });
});
