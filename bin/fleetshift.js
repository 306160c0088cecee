#!/usr/bin/env node
// The fleetshift command. Sources are TypeScript, run through tsx so there is no build step
// that could go stale between a `git pull` and the next command.
require('tsx/cjs');
require('../cli/main.ts');
