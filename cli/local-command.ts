import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventsJsonl, renderReport } from '../local/report-html.ts';
import { runScenario, type ScenarioResult } from '../local/scenario.ts';
import { integerOption, parseCommandArgs } from './args.ts';

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
  -h, --help    show this help`;

export async function localCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, { streams: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } });
  if (values.help) {
    out(localHelp);
    return 0;
  }
  const streams = integerOption(values.streams, 'streams', 12, 2_000) ?? 40;
  const seed = integerOption(values.seed, 'seed', 0, 2 ** 31 - 1) ?? 42;
  const dir = resolve((values.out as string | undefined) ?? '.');
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const tty = process.stderr.isTTY === true;
  const progress = (line: string, live = false) => {
    if (live && tty) process.stderr.write(`\r\x1b[2K  ${line}`);
    else if (!live) {
      if (tty) process.stderr.write('\r\x1b[2K');
      out(`- ${line}`);
    }
  };

  const began = performance.now();
  const result = await runScenario({ streams, seed, progress });
  printTable(result, out);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.jsonl'), eventsJsonl(result.events));
  writeFileSync(join(dir, 'report.html'), renderReport({ title: `firehose-sse-guard: local account (seed ${seed})`, events: result.events, streams: result.streams, converged: result.converged }));
  const failures = result.streams.filter((s) => !s.ok).length;
  out(
    `${result.executions} workflow executions (${result.transitions} state transitions), ${result.events.length} compliance events, ` +
      `${((result.endedAt - result.startedAt) / 3_600_000).toFixed(1)} simulated hours in ${((performance.now() - began) / 1000).toFixed(1)} s`,
  );
  out(`wrote ${join(dir, 'report.html')} and ${join(dir, 'events.jsonl')}`);
  out(result.converged ? 'converged: every stream ended as expected' : `NOT converged: ${failures} stream(s) did not end as expected`);
  return result.converged ? 0 : 1;
}

function printTable(result: ScenarioResult, out: (line: string) => void): void {
  const width = Math.max(6, ...result.streams.map((s) => s.name.length));
  out('');
  out(`${'stream'.padEnd(width)}  ${'kind'.padEnd(11)}  ${'status'.padEnd(14)}  ${'last outcome'.padEnd(24)}  calls(ours/all)  ok`);
  for (const s of result.streams) {
    const outcome = s.lastOutcome ? `${s.lastOutcome}${s.lastReason ? ` ${s.lastReason}` : ''}` : '-';
    out(`${s.name.padEnd(width)}  ${s.kind.padEnd(11)}  ${s.verdict.padEnd(14)}  ${outcome.padEnd(24)}  ${`${s.callsLast24h.ours}/${s.callsLast24h.total}`.padStart(15)}  ${s.ok ? 'yes' : `NO, expected ${s.expected}`}`);
  }
  out('');
}
