import { chooseWeighted, fqdn, type WeightedRecord } from '../../../sandbox/dataplane';

const record = (setIdentifier: string, weight: number): WeightedRecord => ({
  setIdentifier,
  weight,
  target: `${setIdentifier}.broker.sandbox.`,
  ttlSeconds: 5,
});

/** A random source that walks [0, 1) in even steps, so proportions are exact. */
function evenSteps(steps: number): () => number {
  let i = 0;
  return () => (i++ % steps) / steps;
}

describe('chooseWeighted', () => {
  it('picks each record in proportion to its weight', () => {
    const records = [record('legacy', 90), record('iot-core', 10)];
    const random = evenSteps(1000);
    const counts: Record<string, number> = { legacy: 0, 'iot-core': 0 };
    for (let i = 0; i < 1000; i++) counts[chooseWeighted(records, random)!.setIdentifier] += 1;
    expect(counts).toEqual({ legacy: 900, 'iot-core': 100 });
  });

  it('never picks a record of weight zero while another has weight', () => {
    const records = [record('legacy', 0), record('iot-core', 1)];
    const random = evenSteps(100);
    for (let i = 0; i < 100; i++) {
      expect(chooseWeighted(records, random)?.setIdentifier).toBe('iot-core');
    }
  });

  it('answers from all records evenly when every weight is zero, as Route 53 does', () => {
    const records = [record('legacy', 0), record('iot-core', 0)];
    expect(chooseWeighted(records, () => 0.2)?.setIdentifier).toBe('legacy');
    expect(chooseWeighted(records, () => 0.7)?.setIdentifier).toBe('iot-core');
  });

  it('has no answer without records', () => {
    expect(chooseWeighted([])).toBeUndefined();
  });
});

describe('fqdn', () => {
  it('lower-cases a name and ends it with exactly one dot', () => {
    expect(fqdn('MQTT.Fleet.Sandbox')).toBe('mqtt.fleet.sandbox.');
    expect(fqdn('mqtt.fleet.sandbox..')).toBe('mqtt.fleet.sandbox.');
  });
});
