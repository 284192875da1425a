import { createHash } from 'node:crypto';
import { percentile, timesToProtected } from './time-to-protected.ts';
import { ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import {
  complianceScore,
  enrichFromEvents,
  explainStarted,
  REPORT_STATUSES,
  statusCounts,
  statusOf,
  streamsFromEvents,
  type ReportStatus,
  type ReportStream,
} from './report-data.ts';
import { escapeHtml as escape, jsonForScript } from './report-escape.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './report-script.ts';
import { dateTime, timelineSvg, timeWindow } from './report-timeline.ts';

export { streamsFromEvents, statusCounts, complianceScore, type ReportStream } from './report-data.ts';

export interface ReportInput {
  title: string;
  events: readonly GuardEvent[];
  streams?: readonly ReportStream[];
  budgetShare?: number;
  /** The policy's Budget Low threshold (default 5): a bar turns red with this many of our calls or fewer left. */
  budgetLowThreshold?: number;
  converged?: boolean;
  /** When the report is made (epoch ms; default now). */
  generatedAt?: number;
}

/** Rows per page of the stream table and of the failures-and-deferrals table. */
const PAGE_SIZE = 50;
const PROBLEM_PAGE_SIZE = 20;

type Detail = Record<string, unknown> & { stream?: { account?: string; region?: string; name: string } };
const detailOf = (e: GuardEvent): Detail => e.detail;
const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

const keyLabel = (key: ReportStream['key']): string =>
  !key ? '' : key.keyType === 'AWS_OWNED_CMK' ? 'AWS owned' : (key.keyArn ?? 'customer managed');

/** green below half the 25 calls, amber from half, red within the Budget Low threshold of our share or of the 25. */
function budgetLevel(used: { ours: number; total: number }, share: number, low: number): 'green' | 'amber' | 'red' {
  if (share - used.ours <= low || ENCRYPTION_CALLS_PER_WINDOW - used.total <= low) return 'red';
  return used.total * 2 >= ENCRYPTION_CALLS_PER_WINDOW ? 'amber' : 'green';
}

function places(rows: readonly ReportStream[], events: readonly GuardEvent[]): { accounts: string[]; regions: string[] } {
  const accounts = new Set<string>();
  const regions = new Set<string>();
  for (const r of rows) {
    if (r.account) accounts.add(r.account);
    if (r.region) regions.add(r.region);
  }
  for (const e of events) {
    const d = detailOf(e);
    if (d.stream?.account) accounts.add(d.stream.account);
    if (d.stream?.region) regions.add(d.stream.region);
    if (e.detail.kind === 'complianceSnapshot') {
      accounts.add(String(d.account));
      for (const region of d.regions as string[]) regions.add(region);
    }
  }
  return { accounts: [...accounts].sort(), regions: [...regions].sort() };
}

const list = (items: string[], most = 6): string =>
  items.length === 0 ? '-' : items.length <= most ? items.join(', ') : `${items.slice(0, most).join(', ')} and ${items.length - most} more`;

function placeTable(rows: readonly ReportStream[]): string {
  const groups = new Map<string, { account: string; region: string; counts: Map<ReportStatus, number> }>();
  for (const r of rows) {
    if (!r.account) continue;
    const key = `${r.account} ${r.region ?? ''}`;
    const group = groups.get(key) ?? { account: r.account, region: r.region ?? '', counts: new Map() };
    group.counts.set(statusOf(r.verdict), (group.counts.get(statusOf(r.verdict)) ?? 0) + 1);
    groups.set(key, group);
  }
  if (groups.size < 2) return '';
  const shown = REPORT_STATUSES.filter((s) => [...groups.values()].some((g) => g.counts.has(s)) || s === 'NON_COMPLIANT');
  const body = [...groups.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(
      ([, g]) =>
        `<tr class="place" data-account="${escape(g.account)}" data-region="${escape(g.region)}"><th>${escape(g.account)}</th><th>${escape(g.region)}</th>${shown.map((s) => `<td class="num">${g.counts.get(s) ?? 0}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<h2>By account and region</h2><table id="places"><tr><th>account</th><th>region</th>${shown.map((s) => `<th>${s}</th>`).join('')}</tr>${body}</table>`;
}

/**
 * A self-contained compliance dashboard: inline CSS, inline SVG, the data as an escaped JSON block and
 * one small inline script for the tables (sort, filter, search, pages). No external asset, no network.
 */
export function renderReport(input: ReportInput): string {
  const events = input.events;
  const rows = enrichFromEvents(input.streams ?? streamsFromEvents(events), events);
  const share = input.budgetShare ?? 20;
  const low = input.budgetLowThreshold ?? 5;
  const { accounts, regions } = places(rows, events);
  const { counts, source, at: countedAt } = statusCounts(events, rows);
  const outcomeKinds = new Set(['remediationSucceeded', 'remediationFailed', 'remediationDeferred', 'driftDetected']);
  const later = countedAt === undefined ? 0 : events.filter((e) => e.time > countedAt && outcomeKinds.has(e.detail.kind)).length;
  const laterNote =
    later === 0 ? '' : ` ${later} outcome or drift event${later === 1 ? '' : 's'} came after it; the table shows each stream's latest.`;
  const score = complianceScore(counts);
  const times = events.map((e) => e.time);
  const window =
    times.length === 0
      ? '-'
      : timeWindow(
          times.reduce((a, b) => Math.min(a, b)),
          times.reduce((a, b) => Math.max(a, b)),
        );
  const generatedAt = dateTime(input.generatedAt ?? Date.now());

  const failed = rows.filter((r) => statusOf(r.verdict) === 'NON_COMPLIANT' && r.lastOutcome === 'FAILED').length;
  const deferred = rows.filter((r) => statusOf(r.verdict) === 'NON_COMPLIANT' && r.lastOutcome === 'DEFERRED').length;
  const fallback = rows.filter((r) => r.viaFallback === true);
  const fallbackByUs = fallback.filter((r) => r.lastOutcome === 'REMEDIATED').length;
  const tile = (status: ReportStatus, note = '') =>
    `<div class="card st-${status}" data-status="${status}" title="show these streams"><span class="n" data-count>${counts[status]}</span>${status}${note ? `<small>${note}</small>` : ''}</div>`;
  const tiles = [
    tile('COMPLIANT', 'encrypted with an accepted key'),
    tile('NON_COMPLIANT', `to remediate: ${failed} failed, ${deferred} deferred`),
    tile('BUSY', 'changing state, looked at again'),
    tile('EXEMPT', 'by tag or name'),
    tile('NOT_APPLICABLE', 'not DirectPut'),
    ...(['GONE', 'UNKNOWN'] as const).filter((s) => counts[s] > 0).map((s) => tile(s)),
    `<div class="card st-FALLBACK" id="fallback-tile"><span class="n" data-count>${fallback.length}</span>FALLBACK<small>on the AWS owned key</small></div>`,
  ].join('');
  const fallbackNote =
    fallback.length === 0
      ? '<p class="note" id="fallback-note">No stream is on the fallback key: every encrypted stream that the policy checks for a key uses an approved one.</p>'
      : `<p class="note" id="fallback-note"><b>${fallback.length} stream${fallback.length === 1 ? '' : 's'} fell back to the AWS owned key</b> (the policy's fallback)${fallbackByUs > 0 ? `; the remediator put ${fallbackByUs} of them there because no approved key could be used (disabled, missing, or at its 500-stream limit)` : ''}. Filter the table by "fallback: yes" to list them.</p>`;

  const started = explainStarted(events);
  const startedLine =
    started.started === 0
      ? ''
      : `<p class="note" id="started-explained">${started.started} Remediation Started for ${started.succeeded} succeeded: ${started.retries} were further attempts of a remediation that then succeeded (a retry after ENABLING_FAILED, or the fallback key), ${started.inFailed} in remediations that failed, ${started.inDeferred} in remediations deferred, ${started.inFlight} in remediations with no outcome event yet (in flight, or the stream changed under them).</p>`;

  const listed = REPORT_STATUSES.reduce((sum, st) => sum + counts[st], 0);
  const tableNote =
    rows.length < listed
      ? `<p class="note" id="table-note">The table lists the ${rows.length} streams that the events name; the counts above (${listed} streams) come from the snapshot, which names only the non-compliant ones.</p>`
      : '';
  const multiRegionLabel = regions.length === 1 ? regions[0] : '';
  const hasExpectations = rows.some((r) => r.ok !== undefined);
  const streamRows = rows.map((r) => ({
    a: r.account ?? (accounts.length === 1 ? accounts[0] : ''),
    r: r.region ?? multiRegionLabel,
    n: r.name,
    s: statusOf(r.verdict),
    k: keyLabel(r.key),
    f: r.viaFallback ?? null,
    o: r.lastOutcome ?? '',
    why: [r.lastReason, r.nextAttemptAt ? `next attempt ${dateTime(Date.parse(r.nextAttemptAt))}` : ''].filter(Boolean).join(', '),
    bo: r.callsLast24h?.ours ?? null,
    bt: r.callsLast24h?.total ?? null,
    level: r.callsLast24h ? budgetLevel(r.callsLast24h, share, low) : '',
    x: r.ok === undefined ? '' : r.ok ? 'yes' : `no (expected ${r.expected ?? '?'})`,
    ...(r.ok === false ? { ok: false } : {}),
  }));
  const problems = events
    .filter((e) => e.detail.kind === 'remediationFailed' || e.detail.kind === 'remediationDeferred')
    .sort((a, b) => b.time - a.time)
    .map((e) => {
      const d = detailOf(e);
      return {
        t: dateTime(e.time),
        a: d.stream?.account ?? '',
        r: d.stream?.region ?? '',
        n: d.stream?.name ?? '',
        e: e.detail.kind === 'remediationFailed' ? 'failed' : 'deferred',
        why: `${text(d.reason)}${d.failureType ? ` (${text(d.failureType)})` : ''}`,
        d: text(d.details),
        next: typeof d.nextAttemptAt === 'string' ? dateTime(Date.parse(d.nextAttemptAt)) : '',
      };
    });
  const data = {
    share,
    limit: ENCRYPTION_CALLS_PER_WINDOW,
    pageSize: PAGE_SIZE,
    problemPageSize: PROBLEM_PAGE_SIZE,
    severalAccounts: accounts.length > 1,
    hasExpectations,
    streams: streamRows,
    problems,
  };

  const typeCounts = new Map<string, number>();
  for (const e of events) typeCounts.set(e.detailType, (typeCounts.get(e.detailType) ?? 0) + 1);
  const typeRows = [...typeCounts.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([type, n]) => `<tr data-detail-type="${escape(type)}"><td>${escape(type)}</td><td class="num" data-count>${n}</td></tr>`)
    .join('');
  const protectedTimes = timesToProtected(events);
  const p = (rank: number) => percentile(protectedTimes, rank);
  const timeToProtected =
    protectedTimes.length === 0
      ? '<p id="time-to-protected">No remediation in this report.</p>'
      : `<div class="cards" id="time-to-protected"><div class="card"><span class="n" data-p50="${p(50)}">${p(50).toFixed(1)} s</span>median (p50)</div><div class="card"><span class="n" data-p95="${p(95)}">${p(95).toFixed(1)} s</span>p95</div><div class="card"><span class="n">${protectedTimes.length}</span>remediations</div></div>`;
  const status =
    input.converged === undefined
      ? ''
      : `<p class="status ${input.converged ? 'good' : 'bad'}" data-converged="${input.converged}">${input.converged ? 'Converged: every stream ended as expected.' : 'Not converged: see the streams marked below.'}</p>`;
  const th = (key: string, label: string) => `<th data-sort="${key}">${label}</th>`;
  const streamHead = [
    accounts.length > 1 ? th('a', 'account') : '',
    th('r', 'region'),
    th('n', 'stream'),
    th('s', 'status'),
    th('k', 'key'),
    th('f', 'fallback'),
    th('o', 'last outcome (reason)'),
    th('bt', `budget used (ours/${share}, all/${ENCRYPTION_CALLS_PER_WINDOW})`),
    hasExpectations ? th('x', 'as expected') : '',
  ].join('');
  const problemHead = [
    th('t', 'time (UTC)'),
    accounts.length > 1 ? th('a', 'account') : '',
    th('r', 'region'),
    th('n', 'stream'),
    th('e', 'outcome'),
    th('why', 'reason'),
    th('d', 'details'),
    th('next', 'next attempt (UTC)'),
  ].join('');
  const pager = (id: string) =>
    `<button type="button" id="${id}-prev">&larr; previous</button><span id="${id}-page"></span><button type="button" id="${id}-next">next &rarr;</button>`;
  const options = REPORT_STATUSES.map(
    (s) => `<option value="${s}">${s} (${rows.filter((r) => statusOf(r.verdict) === s).length})</option>`,
  ).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${escape(input.title)}</title>
<style>${REPORT_CSS}</style></head><body>
<header><h1>${escape(input.title)}</h1>
<div class="meta" id="report-meta"><span>account${accounts.length === 1 ? '' : 's'}: <b id="accounts">${escape(list(accounts))}</b></span><span>region${regions.length === 1 ? '' : 's'}: <b id="regions">${escape(list(regions))}</b></span><span>events: <b id="time-window">${escape(window)}</b></span><span>generated: <b id="generated-at">${escape(generatedAt)} UTC</b></span></div>
<p><span class="score" id="score" data-score="${score === undefined ? '' : score.toFixed(1)}">Compliance score ${score === undefined ? 'n/a' : `${score.toFixed(1)} %`}</span> = COMPLIANT / (COMPLIANT + NON_COMPLIANT) = ${counts.COMPLIANT} / ${counts.COMPLIANT + counts.NON_COMPLIANT}. EXEMPT, NOT_APPLICABLE, BUSY and GONE streams are not in it.</p>${status}</header>
<h2>Streams by status</h2><div class="cards" id="by-status">${tiles}</div>
<p class="note" id="count-source">Counts from ${escape(source)}.${laterNote} NON_COMPLIANT: DirectPut streams that must change (no SSE, failed SSE, or a key the policy does not accept), including those whose remediation failed or was deferred.</p>${fallbackNote}
<div class="side"><div><h2>Time to protected</h2>${timeToProtected}</div>
<div><h2>Compliance events</h2><table id="event-counts"><tr><th>detail-type</th><th>events</th></tr>${typeRows}<tr><td><b>total</b></td><td class="num" id="event-total">${events.length}</td></tr></table></div></div>
${startedLine}
<h2>Timeline (UTC)</h2>${timelineSvg(events)}
${placeTable(rows)}
<h2>Failures and deferrals</h2><table id="problems"><thead><tr>${problemHead}</tr></thead><tbody></tbody></table><div class="controls">${pager('problems')}</div>
<h2>Streams</h2><div class="controls"><label>status <select id="status-filter"><option value="">all</option>${options}</select></label>
<label>fallback <select id="fallback-filter"><option value="">all</option><option value="true">yes</option><option value="false">no</option></select></label>
<label>search <input id="search" type="search" placeholder="stream, key, reason, region"></label>${pager('streams')}</div>
${tableNote}<table id="streams"><thead><tr>${streamHead}</tr></thead><tbody></tbody></table>
<p class="note">Budget used: the Start and Stop encryption calls of the last 24 hours, the remediator's of its share of ${share} and everyone's of Firehose's ${ENCRYPTION_CALLS_PER_WINDOW}; the bar is green below ${Math.ceil(ENCRYPTION_CALLS_PER_WINDOW / 2)} calls, amber from there, red when ${low} calls or fewer are left (of our share or of all).</p>
<noscript><p>The tables need JavaScript; the data is in the JSON block of this file.</p></noscript>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

/** events.jsonl: one EventBridge-shaped compliance event per line. */
/**
 * events.jsonl: one compliance event per line with the envelope EventBridge gives it on the bus
 * (version, id, detail-type, source, account, time, region, resources, detail), as the deployed
 * publisher's events arrive at a rule's target: the bus's account and region (default: the local
 * account's), the stream's ARN in `resources`, an id derived from the event (stable from run to run).
 */
export function eventsJsonl(events: readonly GuardEvent[], bus: { account: string; region: string } = LOCAL_BUS): string {
  return (
    events
      .map((e, i) => {
        const arn = (e.detail as { stream?: { arn?: string } }).stream?.arn;
        return JSON.stringify({
          version: '0',
          id: eventId(i, e),
          'detail-type': e.detailType,
          source: e.source,
          account: bus.account,
          time: new Date(e.time).toISOString(),
          region: bus.region,
          resources: arn ? [arn] : [],
          detail: e.detail,
        });
      })
      .join('\n') + (events.length ? '\n' : '')
  );
}

/** The local account's bus (local/account.ts LOCAL_ACCOUNT_ID, LOCAL_REGION). */
const LOCAL_BUS = { account: '123456789012', region: 'us-east-1' };

/** A UUID-shaped id from the event's place in the file and its content: the same run writes the same ids. */
function eventId(index: number, event: GuardEvent): string {
  const hex = createHash('sha256')
    .update(`${index}\n${event.detailType}\n${event.time}\n${JSON.stringify(event.detail)}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Reads events.jsonl back (the `report` command). */
export function parseEventsJsonl(text: string): GuardEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      let raw: { source?: string; 'detail-type'?: string; time?: string; detail?: GuardEvent['detail'] };
      try {
        raw = JSON.parse(line) as typeof raw;
      } catch {
        throw new SyntaxError(`events.jsonl line ${i + 1} is not JSON`);
      }
      if (raw.source !== 'firehose-sse-guard' || !raw.detail || typeof raw.time !== 'string')
        throw new SyntaxError(`events.jsonl line ${i + 1} is not a firehose-sse-guard event`);
      return { source: 'firehose-sse-guard', detailType: raw['detail-type'], time: Date.parse(raw.time), detail: raw.detail } as GuardEvent;
    });
}
