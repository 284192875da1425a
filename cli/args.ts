import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line usage error: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs(argv: string[], options: Options): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function integerOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max}, got '${typeof value === 'string' ? value : JSON.stringify(value)}'`,
    );
  return n;
}

/** A local endpoint (dynalite, moto, the emulator) takes any key: without one in the environment, a stand-in. */
export function standInCredentials(endpoint: string | undefined): { credentials?: { accessKeyId: string; secretAccessKey: string } } {
  return endpoint && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
    ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};
}
