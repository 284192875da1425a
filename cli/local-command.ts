import { serveEmulator } from '../local/emulator/index.ts';
import { seedAccount } from '../local/seed-account.ts';
import { integerOption, parseCommandArgs } from './args.ts';

export const localHelp = `Usage: firehose-sse-guard local [options]

Runs the embedded local account: the Firehose emulator with a seeded account of streams.
(The remediation workflow joins it as it is built; today it serves the seeded emulator.)

Options:
  --port N     port to listen on (default 4566; 0 picks a free one)
  --exit       print the seeded account and exit instead of serving
  -h, --help   show this help`;

export async function localCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, { port: { type: 'string' }, exit: { type: 'boolean' } });
  if (values.help) {
    out(localHelp);
    return 0;
  }
  const running = await serveEmulator({ port: integerOption(values.port, 'port', 0, 65_535) ?? 4566, timings: { creatingMs: 0, enablingMs: 0 } });
  const seeded = await seedAccount(running.emulator);
  out(`local account ${running.emulator.account} (${running.emulator.region}) at ${running.endpoint}`);
  out(`${'stream'.padEnd(18)} ${'type'.padEnd(22)} ${'status'.padEnd(8)} encryption`);
  for (const name of seeded.streams) {
    const s = running.emulator.firehose.stream(name);
    const failure = s.encryption.failure ? ` (${s.encryption.failure.type})` : '';
    out(`${name.padEnd(18)} ${s.type.padEnd(22)} ${s.status.padEnd(8)} ${s.encryption.status}${failure}`);
  }
  if (!values.exit) {
    out(`serving until Ctrl-C; try: aws firehose list-delivery-streams --endpoint-url ${running.endpoint} --region ${running.emulator.region}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  }
  await running.close();
  return 0;
}
