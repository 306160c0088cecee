/** Why a sandbox command refused or failed. Stable strings: scripts may match on them. */
export type SandboxErrorType =
  | 'BadConfig'
  | 'ToolMissing'
  | 'PortBusy'
  | 'StartFailed'
  | 'AlreadyUp'
  | 'Unhealthy'
  | 'DemoRunning'
  | 'DemoInterrupted';

/** A sandbox failure a person can act on; its message is one line. */
export class SandboxError extends Error {
  constructor(
    readonly type: SandboxErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}
