import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventsJsonl, renderReport } from '../local/report-html.ts';
import { LOCAL_STATE_TABLE, type LocalAccount } from '../local/account.ts';
import { runScenario, type ScenarioResult } from '../local/scenario.ts';
import { ORGANIZATION_MEMBERS, ORGANIZATION_REGIONS, runOrganizationScenario } from '../local/organization-scenario.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { waitForSignal } from './signals.ts';

export const localHelp = `Usage: firehose-sse-guard local [options]

Runs the whole system on the embedded local account, with no AWS: the Firehose emulator, dynalite,
the local event bus with the infra/ trigger rules, and the infra/ state machine with the real
handlers. Seeds a realistic account, lets the system sweep and fix it, drives it with CloudTrail
events (a burst of new streams, a person who keeps stopping one stream's encryption), sweeps again,
and prints each stream's outcome. Writes report.html and events.jsonl.
Exit code 0 when every stream ends as the scenario expects, 1 otherwise.

Options:
  --streams N   size of the seeded account (default 40, 12 to 2000)
  --seed N      seed of the account's names and mix (default 42)
  --out DIR     where report.html and events.jsonl go (default: the current folder)
  --org         an organization instead: the central account and ${ORGANIZATION_MEMBERS.length} members × ${ORGANIZATION_REGIONS.join(' and ')},
                swept through the members' roles, their events forwarded, the guardrail SCP on; the
                report groups the streams by account and region
  --serve       afterwards, keep serving the account on loopback until Ctrl-C: the Firehose and KMS
                emulator (aws ... --endpoint-url) and the state table (status --dynamodb-endpoint-url);
                the local clock moves on to the next full hour and stands still there
  --port N            the emulator's port with --serve (default 4566; 0 picks a free one)
  --dynamodb-port N   the state table's port with --serve (default 4567; 0 picks a free one)
  -h, --help    show this help`;

export async function localCommand(
  argv: string[],
  out: (line: string) => void,
  stop: () => Promise<void> = waitForSignal,
): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    streams: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    serve: { type: 'boolean' },
    org: { type: 'boolean' },
    port: { type: 'string' },
    'dynamodb-port': { type: 'string' },
  });
  if (values.help) {
    out(localHelp);
    return 0;
  }
  const streams = integerOption(values.streams, 'streams', 12, 2_000) ?? 40;
  const seed = integerOption(values.seed, 'seed', 0, 2 ** 31 - 1) ?? 42;
  const dir = resolve((values.out as string | undefined) ?? '.');
  const ports = values.serve
    ? {
        emulator: integerOption(values.port, 'port', 0, 65_535) ?? 4566,
        dynamodb: integerOption(values['dynamodb-port'], 'dynamodb-port', 0, 65_535) ?? 4567,
      }
    : undefined;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const tty = process.stderr.isTTY === true;
  // Progress is for the person watching: stderr, so that stdout is the table and the summary alone.
  const progress = (line: string, live = false) => {
    if (live && tty) process.stderr.write(`\r\x1b[2K  ${line}`);
    else if (!live) process.stderr.write(`${tty ? '\r\x1b[2K' : ''}- ${line}\n`);
  };

  const began = performance.now();
  const conclude = (result: ScenarioResult<string>): void => {
    printTable(result, out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'events.jsonl'), eventsJsonl(result.events));
    writeFileSync(
      join(dir, 'report.html'),
      renderReport({
        title: values.org ? 'firehose-sse-guard: local organization' : `firehose-sse-guard: local account (seed ${seed})`,
        events: result.events,
        streams: result.streams,
        converged: result.converged,
      }),
    );
    const failures = result.streams.filter((s) => !s.ok).length;
    out(
      `${result.executions} workflow executions (${result.transitions} state transitions), ${result.events.length} compliance events, ` +
        `${((result.endedAt - result.startedAt) / 3_600_000).toFixed(1)} simulated hours in ${((performance.now() - began) / 1000).toFixed(1)} s`,
    );
    out(`wrote ${join(dir, 'report.html')} and ${join(dir, 'events.jsonl')}`);
    out(result.converged ? 'converged: every stream ended as expected' : `NOT converged: ${failures} stream(s) did not end as expected`);
  };
  const serve = async (result: ScenarioResult, account: LocalAccount): Promise<void> => {
    conclude(result);
    printServing(account, out);
    await stop();
  };
  if (values.org) {
    if (ports) throw new UsageError('--org and --serve exclude each other (serve the single account)');
    if (values.streams !== undefined || values.seed !== undefined)
      throw new UsageError('--org has a fixed organization: no --streams or --seed');
    const result = await runOrganizationScenario({ progress });
    conclude(result);
    return result.converged ? 0 : 1;
  }
  const result = await runScenario({ streams, seed, progress, ...(ports ? { ports, beforeClose: serve } : {}) });
  if (!ports) conclude(result);
  return result.converged ? 0 : 1;
}

function printServing(account: LocalAccount, out: (line: string) => void): void {
  // The clock moves on to the next full hour (the account is quiet by then) and stands still there,
  // so that the time to pass to status --at is the same on every run.
  const hour = 3_600_000;
  account.clock.advance(Math.ceil(account.clock.now() / hour) * hour - account.clock.now());
  const at = new Date(account.clock.now()).toISOString();
  const { endpoint, emulator } = account.emulator;
  out('');
  out(`serving the local account on loopback until Ctrl-C; its clock stands still at ${at}`);
  out(`  Firehose and KMS:  ${endpoint} (account ${emulator.account}, ${emulator.region})`);
  out(`  state table:       ${LOCAL_STATE_TABLE} at ${account.dynamodbEndpoint}`);
  out('try, in another terminal:');
  out(`  npm run -s cli -- status --table ${LOCAL_STATE_TABLE} --dynamodb-endpoint-url ${account.dynamodbEndpoint} --at ${at}`);
  out(
    `  AWS_ACCESS_KEY_ID=AKIALOCAL AWS_SECRET_ACCESS_KEY=local aws firehose list-delivery-streams --endpoint-url ${endpoint} --region ${emulator.region}`,
  );
}

function printTable(result: ScenarioResult<string>, out: (line: string) => void): void {
  const width = Math.max(6, ...result.streams.map((s) => s.name.length));
  out('');
  out(`${'stream'.padEnd(width)}  ${'kind'.padEnd(11)}  ${'status'.padEnd(14)}  ${'last outcome'.padEnd(24)}  calls(ours/all)  ok`);
  let place = '';
  for (const s of result.streams) {
    // An organization's streams come grouped by account and region, each group under its heading.
    if (s.account && `${s.account} ${s.region}` !== place) {
      place = `${s.account} ${s.region}`;
      out(`-- account ${s.account}, ${s.region ?? ''}`);
    }
    const outcome = s.lastOutcome ? `${s.lastOutcome}${s.lastReason ? ` ${s.lastReason}` : ''}` : '-';
    out(
      `${s.name.padEnd(width)}  ${s.kind.padEnd(11)}  ${s.verdict.padEnd(14)}  ${outcome.padEnd(24)}  ${`${s.callsLast24h.ours}/${s.callsLast24h.total}`.padStart(15)}  ${s.ok ? 'yes' : `NO, expected ${s.expected}`}`,
    );
  }
  out('');
}
