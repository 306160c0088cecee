import { type PlanProblem } from './checks';

/** A plan that cannot be used; the message lists every problem, one per line, with its path. */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly problems: PlanProblem[] = [],
  ) {
    super(message);
    this.name = 'PlanError';
  }
}
