import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { offlinePackageCommand } from '../../local/osls-package.ts';

const run = promisify(execFile);

export interface Packaged {
  dir: string;
  template: {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
    Outputs?: Record<string, unknown>;
  };
}

const LOCK = new URL('../../.esbuild-package.lock', import.meta.url).pathname;
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 10 * 60_000;

/**
 * Every packaging builds in the project's one esbuild work folder: test files (run in parallel
 * workers) take turns through a lock folder.
 */
async function exclusively<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Runs `osls package` offline, with no credentials, into a folder, and reads the template. Within one
 * test run (FSG_PACKAGE_CACHE, test/support/global-setup.ts) the same stage and parameters are
 * packaged once, whichever test file asks first.
 */
export async function packageService(params: Record<string, string> = {}, stage = 'test'): Promise<Packaged> {
  const cache = process.env.FSG_PACKAGE_CACHE;
  const key = createHash('sha256')
    .update(JSON.stringify([stage, Object.entries(params).sort(([a], [b]) => a.localeCompare(b))]))
    .digest('hex')
    .slice(0, 16);
  const dir = cache ? join(cache, key) : mkdtempSync(join(tmpdir(), 'fsg-package-'));
  const template = join(dir, 'cloudformation-template-update-stack.json');
  await exclusively(async () => {
    if (cache && existsSync(template)) return;
    const { command, args, cwd, env } = offlinePackageCommand(dir, { stage, params });
    await run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  });
  return { dir, template: JSON.parse(readFileSync(template, 'utf8')) };
}
