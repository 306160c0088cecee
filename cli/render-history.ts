import { type Decision, type MigrationStatus, type RollbackRecord } from '../workflows/api';

/** One line of the history: a decision or a rollback, in time order. */
export type HistoryEntry =
  | { type: 'decision'; at: string; decision: Decision }
  | { type: 'rollback'; at: string; rollback: RollbackRecord };

/** Decisions and rollbacks merged into one list, oldest first (stable for equal times). */
export function historyEntries(status: MigrationStatus): HistoryEntry[] {
  const entries: HistoryEntry[] = [
    ...status.decisions.map((decision) => ({
      type: 'decision' as const,
      at: decision.at,
      decision,
    })),
    ...status.rollbacks.map((rollback) => ({
      type: 'rollback' as const,
      at: rollback.at,
      rollback,
    })),
  ];
  return entries
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => Date.parse(a.entry.at) - Date.parse(b.entry.at) || a.order - b.order)
    .map(({ entry }) => entry);
}

/**
 * Every decision and rollback with who, why and the numbers behind it, one block each:
 * a header line with time, phase, kind and author, then the reason and the numbers.
 */
export function renderHistory(id: string, status: MigrationStatus): string {
  const entries = historyEntries(status);
  if (entries.length === 0) return `migration ${id}: no decisions or rollbacks yet`;
  const lines = [`migration ${id}  (plan ${status.plan}): ${entries.length} entries`];
  for (const entry of entries) {
    lines.push('');
    if (entry.type === 'decision') {
      const { decision } = entry;
      lines.push(
        `${decision.at}  ${decision.phase.padEnd(11)} ${decision.kind.padEnd(19)} by ${decision.by}`,
      );
      lines.push(`    why: ${decision.reason || '(no reason given)'}`);
      if (decision.numbers) lines.push(`    numbers: ${formatNumbers(decision.numbers)}`);
    } else {
      const { rollback } = entry;
      lines.push(
        `${rollback.at}  ${rollback.phase.padEnd(11)} ${'Rollback'.padEnd(19)} by ${rollback.by}`,
      );
      lines.push(`    from ${rollback.from} to ${rollback.to}`);
      lines.push(`    why: ${rollback.reason || '(no reason given)'}`);
      if (rollback.numbers) lines.push(`    numbers: ${formatNumbers(rollback.numbers)}`);
    }
  }
  return lines.join('\n');
}

function formatNumbers(numbers: Record<string, number>): string {
  return Object.entries(numbers)
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(3)}`)
    .join('  ');
}
