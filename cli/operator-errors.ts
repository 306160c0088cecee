import { CliError } from './failure';

/** What went wrong for the operator, as a closed vocabulary with one message template each. */
export type OperatorErrorType =
  | 'MigrationNotFound'
  | 'NoRunningMigration'
  | 'TemporalUnreachable'
  | 'NamespaceNotFound'
  | 'SignalRefused'
  | 'StatusUnavailable';

/**
 * A refusal the operator can act on: it names the migration id, the Temporal address or the
 * state that caused it. It stays a `CliError` so the top level prints one line, not a stack.
 */
export class OperatorError extends CliError {
  constructor(
    readonly type: OperatorErrorType,
    message: string,
  ) {
    super(message);
  }
}

/** The message templates, so every command words the same fault the same way. */
export const operatorErrors = {
  migrationNotFound: (id: string, namespace: string): OperatorError =>
    new OperatorError(
      'MigrationNotFound',
      `migration not found: no workflow with id '${id}' in namespace '${namespace}'`,
    ),
  noRunningMigration: (namespace: string): OperatorError =>
    new OperatorError(
      'NoRunningMigration',
      `no running fleetMigration in namespace '${namespace}'; start one or pass --id`,
    ),
  temporalUnreachable: (address: string, namespace: string, cause: string): OperatorError =>
    new OperatorError(
      'TemporalUnreachable',
      `Temporal unreachable at ${address} (namespace '${namespace}'): ${cause}; ` +
        'check --address or TEMPORAL_ADDRESS',
    ),
  namespaceNotFound: (namespace: string, address: string): OperatorError =>
    new OperatorError(
      'NamespaceNotFound',
      `namespace '${namespace}' does not exist at ${address}; check --namespace or TEMPORAL_NAMESPACE`,
    ),
  signalRefused: (signal: string, id: string, state: string, why: string): OperatorError =>
    new OperatorError(
      'SignalRefused',
      `${signal} refused for migration '${id}': it is ${state}; ${why}`,
    ),
  statusUnavailable: (id: string, cause: string): OperatorError =>
    new OperatorError(
      'StatusUnavailable',
      `status of migration '${id}' is unavailable: ${cause} (is a fleetshift worker running?)`,
    ),
};
