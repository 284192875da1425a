#!/usr/bin/env node
// The installed command: runs the TypeScript sources through tsx's loader, on Node.js 22 or later
// (the Lambda runtime's). On an older Node.js it re-runs itself on the Node.js 22 that `npm ci`
// installed (the pinned `node` dev dependency), and otherwise says what is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`firehose-sse-guard needs Node.js 22 or later; this is Node.js ${process.versions.node}. Run npm ci (it installs Node.js 22 for the npm scripts) or install Node.js 22+.\n`);
    process.exit(2);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? (child.signal === 'SIGINT' ? 130 : 1));
}

const { register } = await import('tsx/esm/api');
register();
const { runCli } = await import('./main.ts');
runCli(process.argv.slice(2));
