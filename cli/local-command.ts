import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalAccount } from '../local/account.ts';
import { seedAccount } from '../local/seed-account.ts';
import { parseCommandArgs } from './args.ts';

export const localHelp = `Usage: firehose-sse-guard local [options]

Runs the whole system on the embedded local account, with no AWS: the Firehose emulator, dynalite,
and the remediation state machine (infra/state-machine.asl.json) with the real handlers. Seeds an
account of streams, remediates each one, prints the outcome per stream and what it cost.
Exit code 0 when every stream ends as the scenario expects.

Options:
  --serve      keep serving the emulator afterwards (until Ctrl-C), for the AWS CLI or boto3
  -h, --help   show this help`;

/** What the seeded account must converge to. */
const EXPECTED: Record<string, string> = {
  'clickstream-raw': 'REMEDIATED',
  'orders-events': 'REMEDIATED',
  'audit-trail': 'COMPLIANT',
  'payments-ledger': 'COMPLIANT',
  'billing-export': 'COMPLIANT',
  'kinesis-mirror': 'NOT_APPLICABLE',
  'msk-orders': 'NOT_APPLICABLE',
  'sandbox-scratch': 'EXEMPT',
};

export async function localCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, { serve: { type: 'boolean' } });
  if (values.help) {
    out(localHelp);
    return 0;
  }
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const account = await LocalAccount.start({ emulator: { timings: { creatingMs: 5_000, enablingMs: 20_000, disablingMs: 10_000, deletingMs: 5_000 } } });
  try {
    const seeded = await seedAccount(account.emulator.emulator);
    account.clock.advance(10_000);
    out(`local account ${LOCAL_ACCOUNT_ID} (${LOCAL_REGION}), Firehose emulator at ${account.endpoint}`);
    out(`${'stream'.padEnd(18)} ${'outcome'.padEnd(15)} ${'calls'.padStart(5)} ${'transitions'.padStart(11)}  expected`);
    let mismatches = 0;
    for (const name of seeded.streams) {
      const correlationId = `local-${name}`;
      const report = await account.runner.run(correlationId, {
        stream: { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name },
        trigger: 'sweep',
        detectedAt: account.clock.now(),
        correlationId,
      });
      const outcome = (report.output as { status?: string } | undefined)?.status ?? report.status;
      const ok = outcome === EXPECTED[name];
      if (!ok) mismatches += 1;
      const calls = String((report.output as { callsSpent?: number } | undefined)?.callsSpent ?? 0);
      out(`${name.padEnd(18)} ${outcome.padEnd(15)} ${calls.padStart(5)} ${String(report.transitions).padStart(11)}  ${ok ? 'yes' : `NO (expected ${EXPECTED[name]})`}`);
    }
    out(`${account.events.events.length} compliance events published; ${mismatches === 0 ? 'converged as expected' : `${mismatches} stream(s) did not end as expected`}`);
    if (values.serve) {
      out(`serving until Ctrl-C; try: aws firehose list-delivery-streams --endpoint-url ${account.endpoint} --region ${LOCAL_REGION}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return mismatches === 0 ? 0 : 1;
  } finally {
    await account.close();
  }
}
