import { serveEmulator } from '../local/emulator/index.ts';
import { integerOption, parseCommandArgs } from './args.ts';
import { waitForSignal } from './signals.ts';

export const emulatorHelp = `Usage: firehose-sse-guard emulator [options]

Serves the local Amazon Data Firehose (and KMS subset) over AWS JSON 1.1 on loopback until stopped.
Point any AWS client at the printed endpoint, with any key (the emulator checks none), e.g.
AWS_ACCESS_KEY_ID=AKIALOCAL AWS_SECRET_ACCESS_KEY=local aws firehose list-delivery-streams --endpoint-url URL --region REGION

Options:
  --port N            port to listen on (default 4566; 0 picks a free one)
  --host HOST         loopback address to bind (default 127.0.0.1; only 127.0.0.0/8, ::1, localhost)
  --region REGION     region of the emulated account (default us-east-1)
  --account ID        12-digit account id (default 123456789012)
  --creating-ms N     CREATING -> ACTIVE time (default 1000)
  --enabling-ms N     ENABLING -> ENABLED / ENABLING_FAILED time (default 2000)
  --disabling-ms N    DISABLING -> DISABLED time (default 1000)
  --no-rate-limit     turn off the 5-calls-per-second control-plane limit
  -h, --help          show this help`;

export async function emulatorCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    region: { type: 'string' },
    account: { type: 'string' },
    'creating-ms': { type: 'string' },
    'enabling-ms': { type: 'string' },
    'disabling-ms': { type: 'string' },
    'no-rate-limit': { type: 'boolean' },
  });
  if (values.help) {
    out(emulatorHelp);
    return 0;
  }
  const timings = {
    ...withValue('creatingMs', integerOption(values['creating-ms'], 'creating-ms', 0, 3_600_000)),
    ...withValue('enablingMs', integerOption(values['enabling-ms'], 'enabling-ms', 0, 3_600_000)),
    ...withValue('disablingMs', integerOption(values['disabling-ms'], 'disabling-ms', 0, 3_600_000)),
  };
  const running = await serveEmulator({
    port: integerOption(values.port, 'port', 0, 65_535) ?? 4566,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    ...(values.region ? { region: values.region as string } : {}),
    ...(values.account ? { account: values.account as string } : {}),
    timings,
    ...(values['no-rate-limit'] ? { rateLimit: false as const } : {}),
  });
  out(`firehose-sse-guard emulator listening on ${running.endpoint} (account ${running.emulator.account}, ${running.emulator.region})`);
  out(
    `  AWS_ACCESS_KEY_ID=AKIALOCAL AWS_SECRET_ACCESS_KEY=local aws firehose list-delivery-streams --endpoint-url ${running.endpoint} --region ${running.emulator.region}`,
  );
  await waitForSignal();
  await running.close();
  return 0;
}

function withValue<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
