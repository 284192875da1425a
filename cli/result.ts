/**
 * What `sweep` and `status` print for machines: one versioned shape (infra/schemas/cli-result.json),
 * whatever the command, and the exit code it implies.
 */

/** Bumped on any change a reader of the JSON would notice; additions of optional fields keep it. */
export const CLI_RESULT_SCHEMA_VERSION = '1';

/** Where a stream stands at the end of the command, whatever was done to it. */
export const STREAM_STATUSES = ['COMPLIANT', 'NON_COMPLIANT', 'EXEMPT', 'NOT_APPLICABLE', 'PENDING', 'GONE', 'ERROR', 'UNKNOWN'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** The exit codes of every command, documented in the README and in each command's help. */
export const EXIT = {
  /** Every stream evaluated, none non-compliant. */
  ok: 0,
  /** Non-compliant streams (findings), every stream evaluated. */
  findings: 1,
  /** A usage error: a flag or its value. */
  usage: 2,
  /** A runtime error, or a result with holes: a stream, region or account could not be evaluated (the output lists what was). */
  runtime: 3,
  /** Stopped by Ctrl-C. */
  interrupted: 130,
} as const;

export const exitCodesHelp = `Exit codes: ${EXIT.ok} every stream compliant (or exempt, not applicable); ${EXIT.findings} non-compliant streams;
${EXIT.usage} usage error; ${EXIT.runtime} runtime error, or some stream, region or account could not be evaluated (the
output still lists every stream that was; this wins over ${EXIT.findings}); ${EXIT.interrupted} stopped by Ctrl-C.`;

export interface ResultStream {
  account: string;
  region: string;
  name: string;
  status: StreamStatus;
  /** What the evaluation decided (sweep): COMPLIANT, REMEDIATE, BUSY, EXEMPT, NOT_APPLICABLE, GONE. */
  verdict?: string;
  reason?: string;
  /** What was done (sweep --fix: the workflow's outcome; status: the last conclusion): REMEDIATED, DEFERRED, FAILED, … */
  outcome?: string;
  outcomeReason?: string;
  /** The key the stream is (or was made) encrypted with, when known. */
  key?: { type: string; arn?: string };
  /** The encryption calls of the last 24 hours (status). */
  budget?: { ours: number; total: number; remainingOurs: number; remainingTotal: number };
  updatedAt?: string;
  /** Why the stream could not be evaluated (status ERROR). */
  error?: string;
}

/** An account, or one of its regions, that could not be swept at all. */
export interface ResultFailure {
  account: string;
  region?: string;
  error: string;
}

export type ResultSummary = { total: number; notSwept: number } & Record<StreamStatus, number>;

export interface CliResult {
  schemaVersion: typeof CLI_RESULT_SCHEMA_VERSION;
  command: 'sweep' | 'status';
  generatedAt: string;
  mode: 'dry-run' | 'fix' | 'status';
  accounts: string[];
  regions: string[];
  streams: ResultStream[];
  summary: ResultSummary;
  failed: ResultFailure[];
  exitCode: number;
}

export function summarize(streams: readonly ResultStream[], failed: readonly ResultFailure[]): ResultSummary {
  const counts = Object.fromEntries(STREAM_STATUSES.map((s) => [s, 0])) as Record<StreamStatus, number>;
  for (const s of streams) counts[s.status] += 1;
  return { total: streams.length, ...counts, notSwept: failed.length };
}

/** Holes first (the result cannot vouch for the rest), then findings. */
export function exitCodeOf(summary: ResultSummary): number {
  if (summary.ERROR > 0 || summary.notSwept > 0) return EXIT.runtime;
  return summary.NON_COMPLIANT > 0 ? EXIT.findings : EXIT.ok;
}

export function cliResult(
  fields: Pick<CliResult, 'command' | 'mode' | 'accounts' | 'regions'> & { streams: ResultStream[]; failed?: ResultFailure[]; at?: number },
): CliResult {
  const failed = fields.failed ?? [];
  const streams = [...fields.streams].sort((a, b) =>
    `${a.account}/${a.region}/${a.name}`.localeCompare(`${b.account}/${b.region}/${b.name}`),
  );
  const summary = summarize(streams, failed);
  return {
    schemaVersion: CLI_RESULT_SCHEMA_VERSION,
    command: fields.command,
    generatedAt: new Date(fields.at ?? Date.now()).toISOString(),
    mode: fields.mode,
    accounts: fields.accounts,
    regions: fields.regions,
    streams,
    summary,
    failed,
    exitCode: exitCodeOf(summary),
  };
}

/** A sweep's verdict, and the workflow's outcome with --fix, as where the stream stands now. */
export function sweepStatus(verdict: string, outcome: string | undefined, error: string | undefined): StreamStatus {
  if (error !== undefined) return 'ERROR';
  const settled = outcome ?? verdict;
  switch (settled) {
    case 'COMPLIANT':
    case 'REMEDIATED':
      return 'COMPLIANT';
    case 'EXEMPT':
    case 'NOT_APPLICABLE':
    case 'GONE':
      return settled;
    case 'BUSY':
      return 'PENDING';
    case 'REMEDIATE':
    case 'DEFERRED':
    case 'FAILED':
      return 'NON_COMPLIANT';
    default:
      return 'UNKNOWN';
  }
}

/** The deployed system's last conclusion (the state table's verdict), as where the stream stands. */
export function concludedStatus(verdict: string | undefined): StreamStatus {
  return verdict === undefined ? 'UNKNOWN' : sweepStatus(verdict, undefined, undefined);
}
