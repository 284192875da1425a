import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanStreams, type StreamRecordSummary } from '../functions/adapters/dynamo/table-scan.ts';
import { DEFAULT_BUDGET_SHARE } from '../functions/domain/policy.ts';
import { parseEventsJsonl, renderReport, streamsFromEvents } from '../local/report-html.ts';
import { integerOption, parseCommandArgs, standInCredentials, UsageError } from './args.ts';
import { ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';

export const statusHelp = `Usage: firehose-sse-guard status --table NAME [options]

Prints what the deployed system last concluded for each stream, and the encryption budget each has
used in the last 24 hours (the remediator's calls, everyone's), from its DynamoDB table.

Options:
  --table NAME                  the state table (stack output StateTableName)
  --region R                    its region (default: AWS_REGION or us-east-1)
  --dynamodb-endpoint-url URL   a DynamoDB endpoint instead of AWS (testing)
  --share N                     the remediator's budget share (default 20)
  --at TIME                     count the 24 hours up to TIME (ISO 8601; default now), e.g. the
                                local account's clock, which 'local --serve' prints
  --json                        print JSON
  -h, --help                    show this help`;

export const reportHelp = `Usage: firehose-sse-guard report --events FILE [options]

Writes a compliance dashboard (HTML) from compliance events: events.jsonl from 'local', or events
exported from the compliance bus's archive (one EventBridge event per line). With --table, adds each
stream's budget from the state table.

Options:
  --events FILE                 the events, one JSON event per line
  --out FILE                    where the HTML goes (default report.html)
  --title TEXT                  the page title
  --table NAME, --region R, --dynamodb-endpoint-url URL   read budgets from the state table
  -h, --help                    show this help`;

async function readTable(values: Record<string, unknown>, share: number, at = Date.now()): Promise<StreamRecordSummary[]> {
  const region = (values.region as string | undefined) ?? process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = values['dynamodb-endpoint-url'] as string | undefined;
  const standIn = standInCredentials(endpoint);
  const client = new DynamoDBClient({ region, ...(endpoint ? { endpoint } : {}), ...standIn });
  try {
    return await scanStreams({ documents: DynamoDBDocumentClient.from(client), tableName: values.table as string }, at, share);
  } finally {
    client.destroy();
  }
}

const tableOptions = { table: { type: 'string' }, region: { type: 'string' }, 'dynamodb-endpoint-url': { type: 'string' } } as const;

export async function statusCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...tableOptions,
    share: { type: 'string' },
    json: { type: 'boolean' },
    at: { type: 'string' },
  });
  if (values.help) {
    out(statusHelp);
    return 0;
  }
  if (!values.table) throw new UsageError('status needs --table (the stack output StateTableName)');
  const share = integerOption(values.share, 'share', 1, ENCRYPTION_CALLS_PER_WINDOW) ?? DEFAULT_BUDGET_SHARE;
  const at = values.at === undefined ? Date.now() : Date.parse(values.at as string);
  if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO 8601 time, got '${values.at as string}'`);
  const streams = await readTable(values, share, at);
  if (values.json) {
    out(JSON.stringify(streams, null, 2));
    return 0;
  }
  const width = Math.max(6, ...streams.map((s) => s.stream.length));
  out(`${'stream'.padEnd(width)}  ${'status'.padEnd(14)}  ${'reason'.padEnd(22)}  ${'updated'.padEnd(24)}  calls 24h (ours/all)`);
  for (const s of streams) {
    const updated = s.state?.updatedAt ? new Date(s.state.updatedAt).toISOString() : '-';
    out(
      `${s.stream.padEnd(width)}  ${(s.state?.verdict ?? '-').padEnd(14)}  ${(s.state?.reason ?? '').padEnd(22)}  ${updated.padEnd(24)}  ${s.budget.ours}/${s.budget.total}`,
    );
  }
  out(`${streams.length} streams in ${values.table as string}`);
  return 0;
}

export async function reportCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...tableOptions,
    events: { type: 'string' },
    out: { type: 'string' },
    title: { type: 'string' },
  });
  if (values.help) {
    out(reportHelp);
    return 0;
  }
  if (!values.events) throw new UsageError('report needs --events FILE (events.jsonl)');
  let text: string;
  try {
    text = readFileSync(values.events as string, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${values.events as string}: ${(error as Error).message}`);
  }
  let events;
  try {
    events = parseEventsJsonl(text);
  } catch (error) {
    throw new UsageError(`${values.events as string}: ${(error as Error).message}`);
  }
  const streams = streamsFromEvents(events);
  if (values.table) {
    const budgets = new Map((await readTable(values, DEFAULT_BUDGET_SHARE)).map((s) => [s.stream.split('/').pop() as string, s.budget]));
    for (const s of streams) {
      const b = budgets.get(s.name);
      if (b) s.callsLast24h = { ours: b.ours, total: b.total };
    }
  }
  const file = (values.out as string | undefined) ?? 'report.html';
  writeFileSync(
    file,
    renderReport({ title: (values.title as string | undefined) ?? 'firehose-sse-guard compliance report', events, streams }),
  );
  out(`wrote ${file}: ${events.length} events, ${streams.length} streams`);
  return 0;
}
