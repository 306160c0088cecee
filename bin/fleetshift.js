#!/usr/bin/env node
// The fleetshift command. Sources are TypeScript, run through tsx so there is no build step
// that could go stale between a `git pull` and the next command.
// fleetshift runs on Node 20 with the AWS SDK versions its lock file pins; the SDK's notice
// about future releases needing Node 22 would otherwise open every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../cli/main.ts');
