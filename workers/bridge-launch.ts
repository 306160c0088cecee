/**
 * Node flags every bridge process starts with: the ECS task definitions the sandbox registers,
 * the tests' bridge processes and the benchmark all use these, so what is measured and tested
 * is what runs.
 *
 * `--single-threaded-gc`: a busy bridge holds thousands of messages in flight, and each of them
 * outlives a young-generation collection or two, so collections copy a lot. V8 spreads that
 * copying over helper threads by default. On the one or two vCPUs a bridge task has, those
 * threads take CPU from the event loop and cost extra to coordinate: the benchmark measured
 * about 8 % less CPU per message without them. The price is a longer single pause (a few
 * milliseconds), small against a downstream round trip. V8 reads the flag only at start, so it
 * cannot be set from inside the process.
 */
export const BRIDGE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/** The container command of a bridge task, run from the repository's root. */
export function bridgeCommand(configFile: string): string[] {
  return ['node', ...BRIDGE_NODE_FLAGS, 'bin/fleetshift.js', 'bridge', '--config', configFile];
}
