/**
 * Setup file of the default project (`npm test`): a test may start Node.js, npm and npx, and nothing
 * else. Starting any other program (a browser, python3, moto_server, the AWS CLI) throws an error that
 * names the test file, so a test that needs more than Node.js and npm fails here, on every machine,
 * instead of only on a fresh one.
 */
import childProcess from 'node:child_process';
import { basename, relative } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { NODE_EXECUTABLES } from '../projects.ts';

const root = new URL('../..', import.meta.url).pathname;

export function isNodeExecutable(command: string): boolean {
  return command === process.execPath || NODE_EXECUTABLES.includes(basename(command));
}

function refuse(command: string): never {
  throw refusal(command);
}

function refusal(command: string): Error {
  const path = expect.getState().testPath;
  const where = path ? relative(root, path) : 'a test of the default project';
  return new Error(
    `${where} starts '${command}', which is beyond Node.js and npm: npm test may start only node, npm and npx. ` +
      'Move the test to test/conformance/ or test/browser/ (see test/projects.ts).',
  );
}

const firstWord = (shellCommand: string) => shellCommand.trim().split(/\s+/)[0] ?? '';
type Fn = ((...args: never[]) => unknown) & { nodeOnlyGuard?: true; [promisify.custom]?: Fn };
const guards: Record<string, (args: unknown[]) => string> = {
  spawn: (args) => String(args[0]),
  spawnSync: (args) => String(args[0]),
  execFile: (args) => String(args[0]),
  execFileSync: (args) => String(args[0]),
  exec: (args) => firstWord(String(args[0])),
  execSync: (args) => firstWord(String(args[0])),
};
function guard(original: Fn, commandOf: (args: unknown[]) => string): Fn {
  const guarded: Fn = function (this: unknown, ...args: never[]) {
    const command = commandOf(args);
    if (!isNodeExecutable(command)) refuse(command);
    return original.apply(this, args);
  };
  guarded.nodeOnlyGuard = true;
  // exec and execFile have their own promisified forms (resolving to { stdout, stderr }): keep them.
  const custom = original[promisify.custom];
  if (custom) {
    guarded[promisify.custom] = function (this: unknown, ...args: never[]) {
      const command = commandOf(args);
      return isNodeExecutable(command) ? custom.apply(this, args) : Promise.reject(refusal(command));
    };
  }
  return guarded;
}

const target = childProcess as unknown as Record<string, Fn>;
for (const [name, commandOf] of Object.entries(guards)) {
  if (!target[name]!.nodeOnlyGuard) target[name] = guard(target[name]!, commandOf);
}
syncBuiltinESMExports();
