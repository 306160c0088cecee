// The operator interface: signal handlers, the status query, and the waits that depend on them.
// Handlers only record requests; the phases act on them at safe points.
import { CancellationScope, condition, isCancellation, setHandler } from '@temporalio/workflow';

import {
  abortSignal,
  approveSignal,
  pauseSignal,
  resumeSignal,
  statusQuery,
  type AbortSignalArgs,
  type ApproveSignalArgs,
} from './api';
import { decide, type MigrationMemory } from './migration-state';

/** Holds the operator's requests and runs phase work so that `abort` can interrupt it. */
export class Operator {
  /** Set once by the first `abort`; later ones are recorded and otherwise ignored. */
  abortRequest: AbortSignalArgs | null = null;
  private resumeRequested = false;
  private waitingForOperator = false;
  private readonly scopes = new Set<CancellationScope>();

  constructor(private readonly memory: () => MigrationMemory) {
    setHandler(statusQuery, () => this.memory().status);
    setHandler(approveSignal, (args) => this.approve(args));
    setHandler(pauseSignal, (args) => {
      this.memory().paused = true;
      decide(this.memory(), 'Paused', args);
    });
    setHandler(resumeSignal, (args) => {
      const wasHeld = this.memory().paused || this.waitingForOperator;
      this.memory().paused = false;
      if (this.waitingForOperator) this.resumeRequested = true;
      decide(this.memory(), wasHeld ? 'Resumed' : 'SignalIgnored', {
        by: args.by,
        reason: wasHeld ? args.reason : `resume while running: ${args.reason}`,
      });
    });
    setHandler(abortSignal, (args) => {
      decide(this.memory(), 'AbortRequested', args);
      if (this.abortRequest) return;
      this.abortRequest = args;
      for (const scope of this.scopes) scope.cancel();
    });
  }

  /** Runs `work` so that an abort cancels it; rejects with a cancellation if aborted. */
  async abortable<T>(work: () => Promise<T>): Promise<T> {
    if (this.abortRequest) throw new AbortedBeforeStart();
    const scope = new CancellationScope();
    this.scopes.add(scope);
    try {
      return await scope.run(work);
    } finally {
      this.scopes.delete(scope);
    }
  }

  /** True when `err` is the interruption an abort caused. */
  wasAborted(err: unknown): boolean {
    return this.abortRequest !== null && (isCancellation(err) || err instanceof AbortedBeforeStart);
  }

  /** True if the gate may be passed (approved now or ahead of time); consumes the approval. */
  takeApproval(gate: string): boolean {
    const approvals = this.memory().approvals;
    const at = approvals.indexOf(gate);
    if (at < 0) return false;
    approvals.splice(at, 1);
    return true;
  }

  /** After a rollback or a failed phase: waits for `resume` (true) or an abort (throws). */
  async waitForOperator(): Promise<void> {
    this.waitingForOperator = true;
    this.resumeRequested = false;
    try {
      await this.abortable(() => condition(() => this.resumeRequested));
    } finally {
      this.waitingForOperator = false;
    }
  }

  private approve(args: ApproveSignalArgs): void {
    const memory = this.memory();
    const waiting = memory.status.waitingGate?.gate;
    const gate = args.gate ?? waiting;
    if (!gate) {
      decide(memory, 'SignalIgnored', {
        by: args.by,
        reason: `approve with no gate waiting: ${args.reason}`,
      });
      return;
    }
    if (!memory.approvals.includes(gate)) memory.approvals.push(gate);
    decide(memory, gate === waiting ? 'Approved' : 'ApprovalRemembered', {
      by: args.by,
      reason: `${gate}: ${args.reason}`,
    });
  }
}

/** An abort that arrived before the phase began. */
export class AbortedBeforeStart extends Error {
  constructor() {
    super('aborted before the phase started');
    this.name = 'AbortedBeforeStart';
  }
}
