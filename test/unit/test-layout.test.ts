import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BEYOND_NODE_MODULES, TEST_PROJECTS, type TestProject } from '../projects.ts';
import { isNodeExecutable } from '../support/node-only-guard.ts';

const root = new URL('../..', import.meta.url).pathname;
const testRoot = join(root, 'test');

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile() && keep(file));
}

/** Local .ts files a test file reaches through its imports (test/, functions/, local/, cli/). */
function importGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), match[1]!);
    if (target.endsWith('.ts') && !target.includes('node_modules')) importGraph(target, seen);
  }
  return seen;
}

/** What in a file needs more than Node.js and npm: a browser driver, or a program started by name. */
function beyondNode(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/from\s+['"]([^'"./][^'"]*)['"]/g)) {
    const name = match[1]!.startsWith('@') ? match[1]!.split('/').slice(0, 2).join('/') : match[1]!.split('/')[0]!;
    if (BEYOND_NODE_MODULES.includes(name)) found.push(`imports ${name}`);
  }
  for (const match of source.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"]([^'"\s]+)/g)) {
    if (!isNodeExecutable(match[1]!)) found.push(`starts ${match[1]}`);
  }
  return found;
}

describe('which project each test belongs to (test/projects.ts)', () => {
  const testFiles = filesUnder(testRoot, (file) => file.endsWith('.test.ts')).map((file) => relative(testRoot, file));
  const projectOf = (file: string): TestProject[] =>
    (Object.keys(TEST_PROJECTS) as TestProject[]).filter((project) =>
      (TEST_PROJECTS[project].dirs as readonly string[]).includes(file.split('/')[0]!),
    );

  it('puts every test file in exactly one project, so none is silently left out of every run', () => {
    const misplaced = testFiles.filter((file) => projectOf(file).length !== 1);
    expect(misplaced, `these test files belong to no project (or to two): add their folder to test/projects.ts`).toEqual([]);
    expect(testFiles.length).toBeGreaterThan(40);
  });

  it('keeps what needs more than Node.js and npm out of the default project (npm test), naming the file', () => {
    const problems: string[] = [];
    for (const file of testFiles.filter((f) => projectOf(f)[0] === 'default')) {
      for (const reached of importGraph(join(testRoot, file))) {
        for (const need of beyondNode(reached))
          problems.push(`test/${file} ${reached === join(testRoot, file) ? '' : `(through ${relative(root, reached)}) `}${need}`);
      }
    }
    expect(problems, 'npm test must need nothing but Node.js and npm').toEqual([]);
  });

  it('finds the browser test and the moto suite with the same check (the check can fail)', () => {
    const needs = (file: string) => [...importGraph(join(testRoot, file))].flatMap(beyondNode);
    expect(needs('browser/report.test.ts')).toContain('imports playwright-core');
    expect(needs('conformance/dynamo-moto.test.ts')).toContain('starts moto_server');
  });
});

describe('the default project guard (test/support/node-only-guard.ts)', () => {
  it('refuses to start anything but node, npm and npx, and names this test file', async () => {
    // Names in variables: the static check above reads literals, this guard catches every call.
    const [python, chromium, moto] = ['python3', '/usr/bin/chromium', 'moto_server'];
    expect(() => spawnSync(python, ['--version'])).toThrow(
      /^test\/unit\/test-layout\.test\.ts starts 'python3', which is beyond Node\.js and npm/,
    );
    expect(() => execFileSync(chromium, ['--version'])).toThrow(/starts '\/usr\/bin\/chromium'/);
    await expect(promisify(execFile)(moto, ['--help'])).rejects.toThrow(/test\/unit\/test-layout\.test\.ts starts 'moto_server'/);
    expect(execFileSync(process.execPath, ['-e', 'process.stdout.write(process.versions.node)']).toString()).toMatch(/^2[2-9]\./);
    const { stdout } = await promisify(execFile)('node', ['-e', 'process.stdout.write("ok")']);
    expect(stdout).toBe('ok');
  });

  it('fails an import of a browser driver, naming the importing file', async () => {
    const driver = 'playwright-core';
    await expect(import(/* @vite-ignore */ driver)).rejects.toThrow(
      /test\/unit\/test-layout\.test\.ts imports playwright-core, which needs more than Node\.js and npm/,
    );
  });

  it('runs on the Node.js of the Lambda runtime (22 or later)', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });
});
