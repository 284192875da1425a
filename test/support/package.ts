import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
  const args = [
    'osls',
    'package',
    '--package',
    dir,
    '--stage',
    'test',
    '--region',
    'eu-west-1',
    ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
  ];
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: '',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  await run('npx', args, { cwd: new URL('../..', import.meta.url).pathname, env, maxBuffer: 16 * 1024 * 1024 });
  return { dir, template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) };
}
