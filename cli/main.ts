import { UsageError } from './args.ts';
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

Run 'firehose-sse-guard <command> --help' for a command's options.`;

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  // The SDK warns that releases after January 2027 need Node.js 22; the versions pinned here run on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; run 'firehose-sse-guard --help'`);
  return command.run(rest, out);
}

/** Runs the command line and exits the process with its code; errors are one line. */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`firehose-sse-guard: ${message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}

if (process.argv[1] !== undefined && /cli[\\/]main\.ts$/.test(process.argv[1])) runCli(process.argv.slice(2));
