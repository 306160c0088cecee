import { Client, Connection, NamespaceNotFoundError } from '@temporalio/client';
import { type Command } from 'commander';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { loadSandboxConfig, sandboxEndpoints } from '../sandbox';
import { DEFAULT_NAMESPACE } from '../workflows/api';
import { CliError } from './failure';
import { operatorErrors } from './operator-errors';

/** Where the Temporal frontend is, unless a flag or TEMPORAL_ADDRESS says otherwise. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** The local sandbox's Temporal, which follows FLEETSHIFT_PORT_OFFSET like the rest of it. */
function sandboxTemporalAddress(env: NodeJS.ProcessEnv): string {
  return sandboxEndpoints(loadSandboxConfig(env)).temporalAddress;
}

/** How long to wait for the frontend before saying it is unreachable. */
const CONNECT_TIMEOUT = '5 seconds';

/** The Temporal server and namespace a command talks to. */
export interface TemporalTarget {
  /** host:port of the Temporal frontend (gRPC). */
  address: string;
  namespace: string;
}

/** The flags every Temporal-facing verb accepts. */
export interface TemporalFlags {
  address?: string;
  namespace?: string;
}

const targetSchema = z.object({
  address: z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, for example 127.0.0.1:7233'),
  namespace: z.string().min(1, 'must not be empty'),
});

/** Adds `--address` and `--namespace` to a verb, documenting the environment fallbacks. */
export function withTemporalFlags(command: Command): Command {
  return command
    .option(
      '--address <host:port>',
      `Temporal frontend (env TEMPORAL_ADDRESS, default the sandbox's, ${DEFAULT_TEMPORAL_ADDRESS})`,
    )
    .option(
      '--namespace <name>',
      `Temporal namespace (env TEMPORAL_NAMESPACE, default ${DEFAULT_NAMESPACE})`,
    );
}

/**
 * Picks the Temporal target: flags first, then the Temporal CLI's own environment variables,
 * then the local defaults. Every problem is reported at once, each with the field it concerns.
 */
export function resolveTemporalTarget(
  flags: TemporalFlags,
  env: NodeJS.ProcessEnv = process.env,
): TemporalTarget {
  const candidate = {
    address: flags.address ?? nonEmpty(env.TEMPORAL_ADDRESS) ?? sandboxTemporalAddress(env),
    namespace: flags.namespace ?? nonEmpty(env.TEMPORAL_NAMESPACE) ?? DEFAULT_NAMESPACE,
  };
  const parsed = targetSchema.safeParse(candidate, { error: plainError });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new CliError(`Temporal target: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A connected client and the way to let go of it. */
export interface TemporalSession {
  client: Client;
  target: TemporalTarget;
  close: () => Promise<void>;
}

/**
 * Connects eagerly, so an unreachable server is reported once with its address instead of as a
 * retry loop deep inside the first call.
 */
export async function connectTemporal(target: TemporalTarget): Promise<TemporalSession> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: target.address,
      connectTimeout: CONNECT_TIMEOUT,
    });
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw operatorErrors.temporalUnreachable(target.address, target.namespace, cause);
  }
  const client = new Client({ connection, namespace: target.namespace });
  return { client, target, close: () => connection.close() };
}

/** Runs `work` with a connected client and always closes the connection afterwards. */
export async function withTemporal<T>(
  flags: TemporalFlags,
  work: (session: TemporalSession) => Promise<T>,
): Promise<T> {
  const session = await connectTemporal(resolveTemporalTarget(flags));
  try {
    return await work(session);
  } catch (err) {
    if (err instanceof NamespaceNotFoundError) {
      throw operatorErrors.namespaceNotFound(session.target.namespace, session.target.address);
    }
    throw err;
  } finally {
    await session.close();
  }
}
