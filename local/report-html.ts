import { percentile, timesToProtected } from './time-to-protected.ts';
import { ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';
import { EVENT_TYPES, type GuardEvent } from '../functions/domain/events.ts';

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
}

export interface ReportInput {
  title: string;
  events: readonly GuardEvent[];
  streams?: readonly ReportStream[];
  budgetShare?: number;
  converged?: boolean;
}

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The stream rows the events alone tell (the `report` command without a table). */
export function streamsFromEvents(events: readonly GuardEvent[]): ReportStream[] {
  const rows = new Map<string, ReportStream>();
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    const stream = (e.detail as { stream?: { name: string } }).stream;
    if (!stream) continue;
    const row = rows.get(stream.name) ?? { name: stream.name, verdict: '?' };
    const d = e.detail as unknown as Record<string, unknown>;
    if (e.detail.kind === 'evaluated') row.verdict = String(d.verdict);
    if (e.detail.kind === 'remediationSucceeded') Object.assign(row, { lastOutcome: 'REMEDIATED', verdict: 'COMPLIANT' });
    if (e.detail.kind === 'remediationDeferred') Object.assign(row, { lastOutcome: 'DEFERRED', lastReason: String(d.reason) });
    if (e.detail.kind === 'remediationFailed') Object.assign(row, { lastOutcome: 'FAILED', lastReason: String(d.reason) });
    rows.set(stream.name, row);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function timeline(events: readonly GuardEvent[]): string {
  if (events.length === 0) return '<p>No events.</p>';
  const kinds = Object.keys(EVENT_TYPES);
  const t0 = Math.min(...events.map((e) => e.time));
  const t1 = Math.max(...events.map((e) => e.time), t0 + 1);
  const width = 900;
  const rowHeight = 22;
  const left = 190;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - left - 20);
  const rows = kinds.map((kind, i) => {
    const y = 20 + i * rowHeight;
    const dots = events
      .filter((e) => e.detail.kind === kind)
      .map(
        (e) =>
          `<circle cx="${x(e.time).toFixed(1)}" cy="${y}" r="4"><title>${escape(new Date(e.time).toISOString())} ${escape((e.detail as { stream?: { name: string } }).stream?.name ?? '')}</title></circle>`,
      )
      .join('');
    return `<text x="0" y="${y + 4}">${escape(EVENT_TYPES[kind as keyof typeof EVENT_TYPES].detailType)}</text><line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}"/>${dots}`;
  });
  const height = 30 + kinds.length * rowHeight;
  return `<svg class="timeline" viewBox="0 0 ${width} ${height + 20}" role="img" aria-label="events over time">${rows.join('')}<text x="${left}" y="${height + 14}">${escape(new Date(t0).toISOString())}</text><text x="${width - 220}" y="${height + 14}">${escape(new Date(t1).toISOString())}</text></svg>`;
}

/** A self-contained compliance dashboard: static HTML and inline SVG, no script. */
export function renderReport(input: ReportInput): string {
  const streams = input.streams ?? streamsFromEvents(input.events);
  const share = input.budgetShare ?? 20;
  const byVerdict = countBy(streams, (s) => s.verdict);
  const byType = countBy(input.events, (e) => e.detailType);
  const problems = input.events.filter((e) => e.detail.kind === 'remediationFailed' || e.detail.kind === 'remediationDeferred');
  const cards = byVerdict
    .map(
      ([verdict, n]) =>
        `<div class="card" data-verdict="${escape(verdict)}"><span class="n">${n}</span> <span>${escape(verdict)}</span></div>`,
    )
    .join('');
  const typeRows = byType
    .map(([type, n]) => `<tr data-detail-type="${escape(type)}"><td>${escape(type)}</td><td class="num" data-count>${n}</td></tr>`)
    .join('');
  const budgetRows = streams
    .filter((s) => s.callsLast24h && s.callsLast24h.total > 0)
    .sort((a, b) => (b.callsLast24h?.total ?? 0) - (a.callsLast24h?.total ?? 0))
    .map((s) => {
      const used = s.callsLast24h as { ours: number; total: number };
      const pct = Math.round((used.total / ENCRYPTION_CALLS_PER_WINDOW) * 100);
      return `<tr><td>${escape(s.name)}</td><td class="num">${used.ours} / ${share}</td><td class="num">${used.total} / ${ENCRYPTION_CALLS_PER_WINDOW}</td><td class="num">${ENCRYPTION_CALLS_PER_WINDOW - used.total}</td><td><div class="bar"><div style="width:${pct}%"></div></div></td></tr>`;
    })
    .join('');
  const problemRows = problems
    .map((e) => {
      const d = e.detail as unknown as Record<string, unknown>;
      return `<tr><td>${escape(new Date(e.time).toISOString())}</td><td>${escape((d.stream as { name: string }).name)}</td><td>${escape(e.detailType)}</td><td>${escape(d.reason)}${d.failureType ? ` (${escape(d.failureType)})` : ''}</td><td>${escape(d.details ?? '')}</td></tr>`;
    })
    .join('');
  let place = '';
  // An organization's streams: a heading row per account and region, with its counts.
  const heading = (s: ReportStream): string => {
    if (!s.account || `${s.account}/${s.region}` === place) return '';
    place = `${s.account}/${s.region}`;
    const here = streams.filter((o) => o.account === s.account && o.region === s.region);
    const counts = countBy(here, (o) => o.verdict)
      .map(([verdict, n]) => `${n} ${escape(verdict)}`)
      .join(', ');
    return `<tr class="place" data-account="${escape(s.account)}" data-region="${escape(s.region ?? '')}"><th colspan="5">account ${escape(s.account)}, ${escape(s.region ?? '')}: ${counts}</th></tr>`;
  };
  const streamRows = streams
    .map(
      (s) =>
        `${heading(s)}<tr class="${s.ok === false ? 'bad' : ''}"><td>${escape(s.name)}</td><td>${escape(s.kind ?? '')}</td><td>${escape(s.verdict)}</td><td>${escape(s.lastOutcome ?? '')}${s.lastReason ? ` (${escape(s.lastReason)})` : ''}</td><td>${s.ok === undefined ? '' : s.ok ? 'yes' : `no (expected ${escape(s.expected)})`}</td></tr>`,
    )
    .join('');
  const protectedTimes = timesToProtected(input.events);
  const p = (rank: number) => percentile(protectedTimes, rank);
  const timeToProtected =
    protectedTimes.length === 0
      ? '<p id="time-to-protected">No remediation in this report.</p>'
      : `<div class="cards" id="time-to-protected"><div class="card"><span class="n" data-p50="${p(50)}">${p(50).toFixed(1)} s</span>median (p50)</div><div class="card"><span class="n" data-p95="${p(95)}">${p(95).toFixed(1)} s</span>p95</div><div class="card"><span class="n">${protectedTimes.length}</span>remediations</div></div>`;
  const status =
    input.converged === undefined
      ? ''
      : `<p class="status ${input.converged ? 'good' : 'bad'}" data-converged="${input.converged}">${input.converged ? 'Converged: every stream ended as expected.' : 'Not converged: see the streams marked below.'}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;background:#f6f8fa}h1{font-size:22px}h2{font-size:16px;margin-top:28px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;min-width:120px}
.card .n{display:block;font-size:26px;font-weight:600}table{border-collapse:collapse;background:#fff;min-width:480px}
td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}tr.place th{background:#eaeef2}.num{text-align:right}.bar{width:160px;height:10px;background:#eaeef2}
.bar div{height:10px;background:#cf6a00}.bad{background:#ffebe9}.status.good{color:#1a7f37}.status.bad{color:#cf222e}
svg.timeline{background:#fff;border:1px solid #d0d7de;max-width:100%}svg text{font-size:11px;fill:#57606a}svg line{stroke:#eaeef2}svg circle{fill:#0969da;opacity:.7}
</style></head><body>
<h1>${escape(input.title)}</h1>${status}
<h2>Streams by status</h2><div class="cards" id="by-status">${cards}</div>
<h2>Time to protected</h2>${timeToProtected}
<h2>Compliance events</h2><table id="event-counts"><tr><th>detail-type</th><th>events</th></tr>${typeRows}<tr><td><b>total</b></td><td class="num" id="event-total">${input.events.length}</td></tr></table>
<h2>Timeline</h2>${timeline(input.events)}
<h2>Encryption budget used in the last 24 hours</h2><table id="budget"><tr><th>stream</th><th>remediator</th><th>everyone</th><th>left</th><th></th></tr>${budgetRows || '<tr><td colspan="5">No Start or Stop calls in the last 24 hours.</td></tr>'}</table>
<h2>Failures and deferrals</h2><table id="problems"><tr><th>time</th><th>stream</th><th>event</th><th>reason</th><th>details</th></tr>${problemRows || '<tr><td colspan="5">None.</td></tr>'}</table>
<h2>Streams</h2><table id="streams"><tr><th>stream</th><th>kind</th><th>status</th><th>last outcome</th><th>as expected</th></tr>${streamRows}</table>
</body></html>
`;
}

/** events.jsonl: one EventBridge-shaped compliance event per line. */
export function eventsJsonl(events: readonly GuardEvent[]): string {
  return (
    events
      .map((e) => JSON.stringify({ source: e.source, 'detail-type': e.detailType, time: new Date(e.time).toISOString(), detail: e.detail }))
      .join('\n') + (events.length ? '\n' : '')
  );
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
