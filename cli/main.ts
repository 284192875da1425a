import { readFileSync } from 'node:fs';
import { UsageError } from './args.ts';
import { EXIT } from './result.ts';
import { claimStdout } from './stdio.ts';
import { emulatorCommand, emulatorHelp } from './emulator-command.ts';
import { localCommand, localHelp } from './local-command.ts';
import { keysCommand, keysHelp } from './keys-command.ts';
import { sweepCommand, sweepHelp } from './sweep-command.ts';
import { reportCommand, reportHelp, statusCommand, statusHelp } from './status-command.ts';

type Command = { run: (argv: string[], out: (line: string) => void) => Promise<number>; help: string; summary: string };

const commands: Record<string, Command> = {
  local: { run: localCommand, help: localHelp, summary: 'run the system on the embedded local account' },
  sweep: { run: sweepCommand, help: sweepHelp, summary: 'audit (or fix) every stream of an account, for CI' },
  status: { run: statusCommand, help: statusHelp, summary: 'what the deployed system concluded per stream, and each budget' },
  keys: { run: keysCommand, help: keysHelp, summary: 'the keys remembered as failed for a stream; clear them' },
  report: { run: reportCommand, help: reportHelp, summary: 'an HTML compliance dashboard from compliance events' },
  emulator: { run: emulatorCommand, help: emulatorHelp, summary: 'serve the local Firehose and KMS to any AWS client' },
};

const usage = `Usage: firehose-sse-guard <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Options:
  --version  print the version
  -h, --help show this help

Run 'firehose-sse-guard <command> --help' for a command's options.`;

/** The version of package.json. */
export const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  // The SDK warns that releases after January 2027 need Node.js 22; the versions pinned here run on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    out(version());
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; run 'firehose-sse-guard --help'`);
  return command.run(rest, out);
}

/** Runs the command line and exits the process with its code; errors are one line on stderr: 2 for usage, 3 for the rest. */
export function runCli(argv: string[]): void {
  const out = claimStdout();
  main(argv, out).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
      process.stderr.write(`firehose-sse-guard: ${message}\n`);
      process.exit(error instanceof UsageError ? EXIT.usage : EXIT.runtime);
    },
  );
}

if (process.argv[1] !== undefined && /cli[\\/]main\.ts$/.test(process.argv[1])) runCli(process.argv.slice(2));
