/**
 * The bridge configuration was refused. The message lists every problem with its path, one per
 * line, so an operator fixes them all in one go. The name is matched by the CLI's error report.
 */
export class BridgeConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'BridgeConfigError';
  }
}
