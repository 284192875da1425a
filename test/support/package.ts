import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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

/** Runs `osls package` offline, with no credentials, into a fresh folder, and reads the template. */
export async function packageService(params: Record<string, string> = {}): Promise<Packaged> {
  const dir = mkdtempSync(join(tmpdir(), 'fsg-package-'));
  const { command, args, cwd, env } = offlinePackageCommand(dir, { stage: 'test', params });
  await run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  return { dir, template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) };
}
