import { historyEntries, renderHistory } from '../../../cli/render-history';
import { devicesStatus } from './status-fixture';

describe('renderHistory', () => {
  it('lists decisions and rollbacks in time order', () => {
    const kinds = historyEntries(devicesStatus()).map((entry) =>
      entry.type === 'decision' ? entry.decision.kind : 'Rollback',
    );
    expect(kinds).toEqual(['Approved', 'AnalysisBreach', 'Rollback']);
  });

  it('shows who, why and the numbers behind each entry', () => {
    const text = renderHistory('m-1', devicesStatus());
    expect(text).toMatch(
      /13:40:00.000Z\s+Devices\s+Approved\s+by alice\n\s+why: backends look healthy/,
    );
    expect(text).toContain('numbers: value=95.500  threshold=98');
    expect(text).toMatch(/Rollback\s+by analysis\n\s+from 25 to 10\n\s+why: connect success below/);
    expect(text).toContain('numbers: failures=3');
  });

  it('says so when nothing was decided yet', () => {
    const status = devicesStatus({ decisions: [], rollbacks: [] });
    expect(renderHistory('m-1', status)).toBe('migration m-1: no decisions or rollbacks yet');
  });
});
