/**
 * `osls package` offline, with no credentials, into a folder: the command line the deploy tests and
 * the bundle benchmark both run (`npx` and these arguments, in the repository, with this environment).
 */
export function offlinePackageCommand(
  dir: string,
  options: { stage: string; region?: string; params?: Record<string, string> },
): { command: 'npx'; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  const params = Object.entries(options.params ?? {}).map(([k, v]) => `--param=${k}=${v}`);
  return {
    command: 'npx',
    args: ['osls', 'package', '--package', dir, '--stage', options.stage, '--region', options.region ?? 'eu-west-1', ...params],
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  };
}
