import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanStreams, type StreamRecordSummary } from '../functions/adapters/dynamo/table-scan.ts';
import { DEFAULT_BUDGET_SHARE } from '../functions/domain/policy.ts';
import { parseEventsJsonl, renderReport, streamsFromEvents } from '../local/report-html.ts';
import { integerOption, parseCommandArgs, standInCredentials, UsageError } from './args.ts';
import { ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';
import { endpointOption, probeEndpoint } from './endpoint.ts';
import { outputFormat } from './formats.ts';
import { writeResult } from './output.ts';
import { cliResult, concludedStatus, exitCodesHelp, type CliResult } from './result.ts';

export const statusHelp = `Usage: firehose-sse-guard status --table NAME [options]

Prints what the deployed system last concluded for each stream, and the encryption budget each has
used in the last 24 hours (the remediator's calls, everyone's), from its DynamoDB table. The status is
where the stream stood at that conclusion (REMEDIATED is COMPLIANT; DEFERRED and FAILED are NON_COMPLIANT).
${exitCodesHelp}

Options:
  --table NAME                  the state table (stack output StateTableName)
  --region R                    its region (default: AWS_REGION or us-east-1)
  --dynamodb-endpoint-url URL   a DynamoDB endpoint instead of AWS (testing)
  --share N                     the remediator's budget share (default 20)
  --at TIME                     count the 24 hours up to TIME (ISO 8601; default now), e.g. the
                                local account's clock, which 'local --serve' prints
  --output F                    table, json, csv, junit or asff (default table); json as sweep's
                                (cli/result.schema.json); asff: Security Hub findings of the conclusions
  --json                        the same as --output json
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
  const endpoint = endpointOption(values['dynamodb-endpoint-url'] as string | undefined, 'dynamodb-endpoint-url');
  if (endpoint) await probeEndpoint(endpoint, 'dynamodb-endpoint-url');
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
    output: { type: 'string' },
    at: { type: 'string' },
  });
  if (values.help) {
    out(statusHelp);
    return 0;
  }
  if (!values.table) throw new UsageError('status needs --table (the stack output StateTableName)');
  const format = outputFormat(values);
  const share = integerOption(values.share, 'share', 1, ENCRYPTION_CALLS_PER_WINDOW) ?? DEFAULT_BUDGET_SHARE;
  const at = values.at === undefined ? Date.now() : Date.parse(values.at as string);
  if (Number.isNaN(at)) throw new UsageError(`--at must be an ISO 8601 time, got '${values.at as string}'`);
  const result = statusResult(await readTable(values, share, at), at);
  writeResult(result, format, out);
  return result.exitCode;
}

/** The table's streams in the shared result shape: each one's last conclusion and its budget. */
export function statusResult(records: StreamRecordSummary[], at: number): CliResult {
  const streams = records.map((r) => {
    const [account = '', region = '', ...name] = r.stream.split('/');
    const state = r.state;
    return {
      account,
      region,
      name: name.join('/'),
      status: concludedStatus(state?.verdict),
      ...(state?.verdict ? { outcome: state.verdict } : {}),
      ...(state?.reason ? { reason: state.reason } : {}),
      ...(state?.keyType ? { key: { type: state.keyType, ...(state.keyArn ? { arn: state.keyArn } : {}) } } : {}),
      budget: {
        ours: r.budget.ours,
        total: r.budget.total,
        remainingOurs: r.budget.remainingOurs,
        remainingTotal: r.budget.remainingTotal,
      },
      ...(state?.updatedAt ? { updatedAt: new Date(state.updatedAt).toISOString() } : {}),
    };
  });
  const unique = (values: string[]) => [...new Set(values)].sort();
  return cliResult({
    command: 'status',
    mode: 'status',
    accounts: unique(streams.map((s) => s.account)),
    regions: unique(streams.map((s) => s.region)),
    streams,
    at,
  });
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
  const html = renderReport({ title: (values.title as string | undefined) ?? 'firehose-sse-guard compliance report', events, streams });
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, html);
  } catch (error) {
    throw new Error(`--out ${file}: cannot write it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  out(`wrote ${file}: ${events.length} events, ${streams.length} streams`);
  return 0;
}
