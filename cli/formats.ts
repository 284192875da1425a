import { UsageError } from './args.ts';
import type { CliResult, ResultStream } from './result.ts';

/** The machine formats of `--output`, besides the table for people. */
export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'junit', 'asff'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `--output F`, with `--json` kept as the alias of `--output json` it always was. */
export function outputFormat(
  values: { output?: unknown; json?: unknown },
  allowed: readonly OutputFormat[] = OUTPUT_FORMATS,
): OutputFormat {
  const output = values.output as string | undefined;
  if (values.json && output !== undefined && output !== 'json') throw new UsageError(`--json and --output ${output} exclude each other`);
  const format = values.json ? 'json' : (output ?? 'table');
  if (!(allowed as readonly string[]).includes(format))
    throw new UsageError(`--output must be one of ${allowed.join(', ')}, got '${format}'`);
  return format as OutputFormat;
}

export const renderJson = (result: CliResult): string => JSON.stringify(result, null, 2);

export const CSV_COLUMNS = [
  'account',
  'region',
  'name',
  'status',
  'verdict',
  'reason',
  'outcome',
  'outcomeReason',
  'keyType',
  'keyArn',
  'callsOurs',
  'callsTotal',
  'updatedAt',
  'error',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; lines end in CRLF. */
export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(result: CliResult): string {
  const row = (s: ResultStream): (string | number | undefined)[] => [
    s.account,
    s.region,
    s.name,
    s.status,
    s.verdict,
    s.reason,
    s.outcome,
    s.outcomeReason,
    s.key?.type,
    s.key?.arn,
    s.budget?.ours,
    s.budget?.total,
    s.updatedAt,
    s.error,
  ];
  const lines = [CSV_COLUMNS.join(','), ...result.streams.map((s) => row(s).map(csvField).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** XML 1.0 text and attribute values: the five escapes, and the control characters XML 1.0 forbids dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one testsuite per account
 * and region, one testcase per stream; a non-compliant stream is a failure, a stream that could not be
 * evaluated an error, an exempt or not applicable one skipped; an account or region not swept is an
 * errored testcase of its own.
 */
export function renderJunit(result: CliResult): string {
  const suites = new Map<string, ResultStream[]>();
  for (const s of result.streams) suites.set(`${s.account}/${s.region}`, [...(suites.get(`${s.account}/${s.region}`) ?? []), s]);
  const a = (text: string) => xmlEscape(text);
  const testcase = (s: ResultStream): string => {
    const open = `    <testcase classname="${a(`firehose-sse-guard.${s.account}.${s.region}`)}" name="${a(s.name)}">`;
    const why = [s.reason, s.outcome, s.outcomeReason].filter(Boolean).join(' ');
    switch (s.status) {
      case 'NON_COMPLIANT':
        return `${open}\n      <failure type="NON_COMPLIANT" message="${a(`not encrypted at rest${why ? `: ${why}` : ''}`)}"/>\n    </testcase>`;
      case 'ERROR':
        return `${open}\n      <error type="ERROR" message="${a(s.error ?? 'could not be evaluated')}"/>\n    </testcase>`;
      case 'EXEMPT':
      case 'NOT_APPLICABLE':
      case 'GONE':
      case 'UNKNOWN':
        return `${open}\n      <skipped message="${a(`${s.status}${why ? `: ${why}` : ''}`)}"/>\n    </testcase>`;
      default:
        return `${open}</testcase>`;
    }
  };
  const count = (list: readonly ResultStream[], ...statuses: string[]) => list.filter((s) => statuses.includes(s.status)).length;
  const body = [...suites].map(([place, list]) =>
    [
      `  <testsuite name="${a(`firehose-sse-guard ${place}`)}" tests="${list.length}" failures="${count(list, 'NON_COMPLIANT')}" errors="${count(list, 'ERROR')}" skipped="${count(list, 'EXEMPT', 'NOT_APPLICABLE', 'GONE', 'UNKNOWN')}" timestamp="${result.generatedAt}">`,
      ...list.map(testcase),
      '  </testsuite>',
    ].join('\n'),
  );
  if (result.failed.length > 0)
    body.push(
      [
        `  <testsuite name="firehose-sse-guard not swept" tests="${result.failed.length}" failures="0" errors="${result.failed.length}" skipped="0" timestamp="${result.generatedAt}">`,
        ...result.failed.map(
          (f) =>
            `    <testcase classname="firehose-sse-guard.${a(f.account)}" name="${a(f.region ?? 'all regions')}">\n      <error type="NOT_SWEPT" message="${a(f.error)}"/>\n    </testcase>`,
        ),
        '  </testsuite>',
      ].join('\n'),
    );
  const s = result.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="firehose-sse-guard ${result.command}" tests="${s.total + s.notSwept}" failures="${s.NON_COMPLIANT}" errors="${s.ERROR + s.notSwept}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

/** The table for people: the status each stream ends in, and what was (or would be) done. */
export function renderTable(result: CliResult): string {
  const several = result.accounts.length > 1;
  const width = Math.max(6, ...result.streams.map((s) => s.name.length));
  const cells = (s: ResultStream): string[] => {
    const action =
      result.mode === 'dry-run'
        ? s.verdict === 'REMEDIATE'
          ? 'would remediate (--fix)'
          : ''
        : s.outcome
          ? `${s.outcome}${s.outcomeReason ? ` (${s.outcomeReason})` : ''}`
          : '';
    return [
      ...(several ? [s.account.padEnd(13)] : []),
      s.region.padEnd(14),
      s.name.padEnd(width),
      s.status.padEnd(14),
      ...(result.mode === 'status' ? [(s.outcome ?? '-').padEnd(14)] : []),
      (s.status === 'ERROR' ? (s.error ?? '') : (s.reason ?? '')).padEnd(22),
      ...(result.mode === 'status' ? [(s.updatedAt ?? '-').padEnd(24), s.budget ? `${s.budget.ours}/${s.budget.total}` : '-'] : [action]),
    ];
  };
  const header = [
    ...(several ? ['account'.padEnd(13)] : []),
    'region'.padEnd(14),
    'stream'.padEnd(width),
    'status'.padEnd(14),
    ...(result.mode === 'status' ? ['concluded'.padEnd(14)] : []),
    'reason'.padEnd(22),
    ...(result.mode === 'status' ? ['updated'.padEnd(24), 'calls 24h (ours/all)'] : [result.mode === 'fix' ? 'outcome' : 'action']),
  ];
  const s = result.summary;
  const notSwept = new Set(result.failed.map((f) => f.account)).size;
  const tally = (['COMPLIANT', 'NON_COMPLIANT', 'EXEMPT', 'NOT_APPLICABLE', 'PENDING', 'GONE', 'ERROR', 'UNKNOWN'] as const)
    .filter((k) => s[k] > 0 || k === 'NON_COMPLIANT')
    .map((k) => `${s[k]} ${k}`)
    .join(', ');
  return [
    header.join(' ').trimEnd(),
    ...result.streams.map((row) => cells(row).join(' ').trimEnd()),
    `${s.total} streams: ${tally}` +
      (notSwept > 0 ? `; ${notSwept} ${notSwept === 1 ? 'account' : 'accounts'} not swept, or not in every region` : ''),
  ].join('\n');
}
