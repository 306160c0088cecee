import { resolveTemporalTarget } from '../../../cli/temporal-connection';

describe('resolveTemporalTarget', () => {
  it('defaults to the local dev server and the default namespace', () => {
    expect(resolveTemporalTarget({}, {})).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
    });
  });

  it('reads the Temporal CLI environment variables', () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:27233', TEMPORAL_NAMESPACE: 'rehearsal' };
    expect(resolveTemporalTarget({}, env)).toEqual({
      address: '127.0.0.1:27233',
      namespace: 'rehearsal',
    });
  });

  it('prefers flags over the environment, and ignores empty variables', () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:27233', TEMPORAL_NAMESPACE: ' ' };
    const target = resolveTemporalTarget({ address: '127.0.0.1:1234' }, env);
    expect(target).toEqual({ address: '127.0.0.1:1234', namespace: 'default' });
  });

  it('reports every bad field at once, each with its name', () => {
    expect(() => resolveTemporalTarget({ address: 'http://x', namespace: '' }, {})).toThrow(
      /address: expected host:port.*; namespace: must not be empty/,
    );
  });
});
