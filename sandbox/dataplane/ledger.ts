import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Which way a message travels. Same words as the bridge's Direction dimension. */
export type Direction = 'device-to-backend' | 'backend-to-device';

/** What a ledger line says happened to a message. */
export type LedgerEvent = 'sent' | 'received';

const DIRECTIONS: readonly Direction[] = ['device-to-backend', 'backend-to-device'];
const EVENT_CODE: Record<LedgerEvent, string> = { sent: 'S', received: 'R' };
const DIRECTION_CODE: Record<Direction, string> = {
  'device-to-backend': 'u',
  'backend-to-device': 'd',
};

/** Appends one process's ledger lines to its own file; files are never rewritten. */
export interface LedgerWriter {
  record(event: LedgerEvent, direction: Direction, id: string): void;
  /** Writes what is buffered now (also done every `flushMs` and on close). */
  flush(): void;
  close(): void;
}

/** Per direction, what reconciliation found. */
export interface DirectionReport {
  /** Distinct ids recorded as sent. */
  sent: number;
  /** Distinct sent ids received at least once. */
  delivered: number;
  /** Sent ids never received. */
  lost: number;
  /** Receipts beyond the first of each id. */
  duplicated: number;
  /** Ids received but never recorded as sent (a writer crashed before flushing, or a bug). */
  unexpected: number;
  /** Up to 20 lost ids, to start an investigation with. */
  lostSample: string[];
}

/** The ledger's verdict at the end of a run. */
export type LedgerReport = Record<Direction, DirectionReport>;

/**
 * Opens `<dir>/<writerName>.ledger` for appending. Each process (device fleet, backend instance)
 * writes its own file, so no two processes ever share a file and no locking is needed.
 * A line is `<S|R> <u|d> <id> <epoch ms>`: the time lets a lost message be placed against the
 * scale events in the ECS agent's log. Files written before the time field read the same.
 * LIMITATION: lines buffered in the last `flushMs` are lost if the process is killed with SIGKILL.
 */
export function openLedger(dir: string, writerName: string, flushMs = 200): LedgerWriter {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(path.join(dir, `${writerName}.ledger`), 'a');
  let buffer: string[] = [];
  let open = true;

  const flush = (): void => {
    if (!open || buffer.length === 0) return;
    writeSync(fd, buffer.join(''));
    buffer = [];
  };
  const timer = setInterval(flush, flushMs);
  timer.unref();

  return {
    record: (event, direction, id) => {
      if (/\s/.test(id)) throw new Error(`ledger id must not contain white space: ${id}`);
      const line = `${EVENT_CODE[event]} ${DIRECTION_CODE[direction]} ${id} ${Date.now()}`;
      buffer.push(`${line}\n`);
    },
    flush,
    close: () => {
      flush();
      clearInterval(timer);
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Reads every ledger file in `dir` and reports, per direction, what was lost or duplicated. */
export function reconcileLedger(dir: string): LedgerReport {
  const sent = { u: new Set<string>(), d: new Set<string>() };
  const received = { u: new Map<string, number>(), d: new Map<string, number>() };
  for (const file of safeList(dir).filter((f) => f.endsWith('.ledger'))) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      // A fourth field, the time, is not needed to reconcile (and older files lack it).
      const [event, direction, id] = line.split(' ');
      if (!id || (direction !== 'u' && direction !== 'd')) continue;
      if (event === 'S') sent[direction].add(id);
      else if (event === 'R') received[direction].set(id, (received[direction].get(id) ?? 0) + 1);
    }
  }

  const report = {} as LedgerReport;
  for (const direction of DIRECTIONS) {
    const code = DIRECTION_CODE[direction] as 'u' | 'd';
    report[direction] = reportOf(sent[code], received[code]);
  }
  return report;
}

function reportOf(sent: Set<string>, received: Map<string, number>): DirectionReport {
  let delivered = 0;
  const lostSample: string[] = [];
  for (const id of sent) {
    if (received.has(id)) delivered += 1;
    else if (lostSample.length < 20) lostSample.push(id);
  }
  let duplicated = 0;
  let unexpected = 0;
  for (const [id, count] of received) {
    duplicated += count - 1;
    if (!sent.has(id)) unexpected += 1;
  }
  return {
    sent: sent.size,
    delivered,
    lost: sent.size - delivered,
    duplicated,
    unexpected,
    lostSample,
  };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
