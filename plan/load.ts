import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import { PlanError } from './errors';

/** Reads a plan file, YAML or JSON (JSON is YAML too), without validating it. */
export function readPlanFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanError(`cannot read plan ${file}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new PlanError(`plan ${file} is not YAML or JSON: ${(err as Error).message}`);
  }
}
