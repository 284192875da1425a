import type { GuardEvent } from '../functions/domain/events.ts';

/** One stream's line in the report. */
export interface ReportStream {
  /** In an organization report: where the stream lives (the table groups by it). */
  account?: string;
  region?: string;
  name: string;
  verdict: string;
  lastOutcome?: string;
  lastReason?: string;
  kind?: string;
  expected?: string;
  ok?: boolean;
  callsLast24h?: { ours: number; total: number };
  /** The key it is encrypted with, when known (from the caller, or else from the events). */
  key?: { keyType: string; keyArn?: string };
  /** Whether that key is the policy's fallback (the AWS owned key) instead of an approved key. */
  viaFallback?: boolean;
  /** When a deferred or failed stream will be looked at again (ISO time). */
  nextAttemptAt?: string;
}

/**
 * The statuses of the report. NON_COMPLIANT is a DirectPut stream that the policy says must change
 * (the verdict REMEDIATE: no SSE, failed SSE, or a key the policy does not accept), including those
 * whose remediation failed or was deferred; BUSY is one that is changing state and is looked at again.
 */
export const REPORT_STATUSES = ['COMPLIANT', 'NON_COMPLIANT', 'BUSY', 'EXEMPT', 'NOT_APPLICABLE', 'GONE', 'UNKNOWN'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The report's status of a verdict (REMEDIATE is NON_COMPLIANT; an unknown verdict is UNKNOWN). */
export function statusOf(verdict: string): ReportStatus {
  if (verdict === 'REMEDIATE') return 'NON_COMPLIANT';
  return (REPORT_STATUSES as readonly string[]).includes(verdict) ? (verdict as ReportStatus) : 'UNKNOWN';
}

type Detail = Record<string, unknown> & { kind: string; stream?: { account?: string; region?: string; name: string } };
const detailOf = (e: GuardEvent): Detail => e.detail;
const placeKey = (account: string | undefined, region: string | undefined, name: string): string =>
  `${account ?? ''}/${region ?? ''}/${name}`;

/** The stream rows the events alone tell (the `report` command without a table). */
export function streamsFromEvents(events: readonly GuardEvent[]): ReportStream[] {
  const rows = new Map<string, ReportStream>();
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    const d = detailOf(e);
    if (d.kind === 'complianceSnapshot') {
      // A stream the snapshot names as non-compliant is known by name even without events of its own.
      for (const n of (d.nonCompliant as { name: string; region: string; reason: string }[] | undefined) ?? []) {
        const key = placeKey(String(d.account), n.region, n.name);
        const row = rows.get(key) ?? { account: String(d.account), region: n.region, name: n.name, verdict: 'REMEDIATE' };
        if (row.verdict !== 'REMEDIATE' && row.lastOutcome !== 'FAILED' && row.lastOutcome !== 'DEFERRED') row.verdict = 'REMEDIATE';
        row.lastReason ??= n.reason;
        rows.set(key, row);
      }
      continue;
    }
    const stream = d.stream;
    if (!stream) continue;
    const key = placeKey(stream.account, stream.region, stream.name);
    const row: ReportStream = rows.get(key) ?? {
      ...(stream.account ? { account: stream.account } : {}),
      ...(stream.region ? { region: stream.region } : {}),
      name: stream.name,
      verdict: '?',
    };
    applyEvent(row, d);
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => placeKey(a.account, a.region, a.name).localeCompare(placeKey(b.account, b.region, b.name)));
}

function applyEvent(row: ReportStream, d: Detail): void {
  switch (d.kind) {
    case 'evaluated': {
      row.verdict = String(d.verdict);
      const enc = d.encryption as { status?: string; keyType?: string; keyArn?: string } | undefined;
      if (enc?.status === 'ENABLED' && enc.keyType) row.key = { keyType: enc.keyType, ...(enc.keyArn ? { keyArn: enc.keyArn } : {}) };
      break;
    }
    case 'remediationSucceeded': {
      const key = d.key as { keyType: string; keyArn?: string };
      Object.assign(row, { lastOutcome: 'REMEDIATED', verdict: 'COMPLIANT', key, viaFallback: d.viaFallback === true });
      delete row.lastReason;
      delete row.nextAttemptAt;
      break;
    }
    case 'remediationDeferred':
      Object.assign(row, { lastOutcome: 'DEFERRED', lastReason: String(d.reason), verdict: 'REMEDIATE' });
      delete row.viaFallback;
      if (typeof d.nextAttemptAt === 'string') row.nextAttemptAt = d.nextAttemptAt;
      break;
    case 'remediationFailed':
      Object.assign(row, { lastOutcome: 'FAILED', lastReason: String(d.reason), verdict: 'REMEDIATE' });
      delete row.nextAttemptAt;
      delete row.viaFallback;
      break;
    case 'driftDetected':
      if (d.eventName === 'StopDeliveryStreamEncryption') {
        delete row.key;
        delete row.viaFallback;
      }
      break;
  }
}

/** Fills what the caller's rows do not say (the key, the fallback, the next attempt) from the events. */
export function enrichFromEvents(streams: readonly ReportStream[], events: readonly GuardEvent[]): ReportStream[] {
  const known = new Map<string, ReportStream>();
  for (const row of streamsFromEvents(events)) {
    known.set(placeKey(row.account, row.region, row.name), row);
    if (!known.has(`name:${row.name}`)) known.set(`name:${row.name}`, row);
  }
  return streams.map((s) => {
    const from = s.account ? known.get(placeKey(s.account, s.region, s.name)) : known.get(`name:${s.name}`);
    if (!from) return s;
    return {
      ...s,
      ...(s.key === undefined && from.key && s.verdict === 'COMPLIANT' ? { key: from.key } : {}),
      ...(s.viaFallback === undefined && from.viaFallback !== undefined && s.verdict === 'COMPLIANT'
        ? { viaFallback: from.viaFallback }
        : {}),
      ...(s.nextAttemptAt === undefined && from.nextAttemptAt && s.lastOutcome === 'DEFERRED' ? { nextAttemptAt: from.nextAttemptAt } : {}),
    };
  });
}

/** Counts by report status, and where they come from. */
export interface StatusCounts {
  counts: Record<ReportStatus, number>;
  /** A sentence for the page: which events or rows the counts are taken from. */
  source: string;
  /** `snapshot` when Compliance Snapshots are the base, `streams` when the stream rows are. */
  from: 'organizationSnapshot' | 'snapshot' | 'streams';
  /** The time of the (last) snapshot the counts come from. */
  at?: number;
}

const zero = (): Record<ReportStatus, number> =>
  Object.fromEntries(REPORT_STATUSES.map((s) => [s, 0] as const)) as Record<ReportStatus, number>;

function addTotals(counts: Record<ReportStatus, number>, totals: Record<string, number>): void {
  for (const [verdict, n] of Object.entries(totals)) if (verdict !== 'streams') counts[statusOf(verdict)] += n;
}

/**
 * The counts of the tiles. With Compliance Snapshots in the events, they are the base: the latest
 * Organization Compliance Snapshot when there is one, else the latest snapshot of each account and
 * regions, summed, because the per-stream events know only the streams a workflow touched.
 */
export function statusCounts(events: readonly GuardEvent[], streams: readonly ReportStream[]): StatusCounts {
  const counts = zero();
  const latest = <K extends 'complianceSnapshot' | 'organizationSnapshot'>(kind: K) =>
    events.filter((e): e is GuardEvent<K> => e.detail.kind === kind).sort((a, b) => a.time - b.time);
  const org = latest('organizationSnapshot').at(-1);
  if (org) {
    addTotals(counts, org.detail.totals);
    return {
      counts,
      from: 'organizationSnapshot',
      at: org.time,
      source: `the Organization Compliance Snapshot of ${new Date(org.time).toISOString().slice(0, 16).replace('T', ' ')} UTC (${org.detail.accounts} accounts, ${org.detail.targets} account-regions)`,
    };
  }
  const snapshots = new Map<string, GuardEvent<'complianceSnapshot'>>();
  for (const e of latest('complianceSnapshot')) snapshots.set(`${e.detail.account}/${e.detail.regions.join(',')}`, e);
  if (snapshots.size > 0) {
    for (const e of snapshots.values()) addTotals(counts, e.detail.totals);
    const last = Math.max(...[...snapshots.values()].map((e) => e.time));
    return {
      counts,
      from: 'snapshot',
      at: last,
      source: `the latest Compliance Snapshot of each account and region (${snapshots.size} snapshot${snapshots.size === 1 ? '' : 's'}, the last of ${new Date(last).toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    };
  }
  for (const s of streams) counts[statusOf(s.verdict)] += 1;
  return { counts, from: 'streams', source: 'the stream rows below (the events hold no Compliance Snapshot)' };
}

/** COMPLIANT / (COMPLIANT + NON_COMPLIANT), in percent; undefined when no stream is applicable. */
export function complianceScore(counts: Record<ReportStatus, number>): number | undefined {
  const applicable = counts.COMPLIANT + counts.NON_COMPLIANT;
  return applicable === 0 ? undefined : (counts.COMPLIANT / applicable) * 100;
}

/** Why there are more Remediation Started events than successes: per execution (correlation id), what its starts led to. */
export interface StartedExplained {
  started: number;
  succeeded: number;
  /** Starts after the first in the same execution (a retry after ENABLING_FAILED, or the fallback key). */
  retries: number;
  /** Starts in executions that ended failed or deferred. */
  inFailed: number;
  inDeferred: number;
  /** Starts in executions with no outcome event (still running, or the stream changed under them). */
  inFlight: number;
}

export function explainStarted(events: readonly GuardEvent[]): StartedExplained {
  const runs = new Map<string, { starts: number; outcome?: string }>();
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    const id = e.detail.correlationId;
    const run = runs.get(id) ?? { starts: 0 };
    if (e.detail.kind === 'remediationStarted') run.starts += 1;
    if (e.detail.kind === 'remediationSucceeded' || e.detail.kind === 'remediationFailed' || e.detail.kind === 'remediationDeferred')
      run.outcome = e.detail.kind;
    runs.set(id, run);
  }
  const out: StartedExplained = { started: 0, succeeded: 0, retries: 0, inFailed: 0, inDeferred: 0, inFlight: 0 };
  for (const run of runs.values()) {
    if (run.starts === 0) continue;
    out.started += run.starts;
    if (run.outcome === 'remediationSucceeded') {
      out.succeeded += 1;
      out.retries += run.starts - 1;
    } else if (run.outcome === 'remediationFailed') out.inFailed += run.starts;
    else if (run.outcome === 'remediationDeferred') out.inDeferred += run.starts;
    else out.inFlight += run.starts;
  }
  return out;
}
