import { beforeAll, describe, expect, it } from 'vitest';
import type { GuardEvent } from '../../functions/domain/events.ts';
import { eventsJsonl, parseEventsJsonl, renderReport, statusCounts, streamsFromEvents } from '../../local/report-html.ts';
import { runScenario, STREAM_KINDS, type ScenarioResult } from '../../local/scenario.ts';
import { expectSchemaValid } from '../support/local-account.ts';

const tileCount = (html: string, status: string): number =>
  Number(new RegExp(`data-status="${status}"[^>]*><span class="n" data-count>(\\d+)<`).exec(html)?.[1]);

describe('the main job: the default scenario on the local account', () => {
  let result: ScenarioResult;
  beforeAll(async () => {
    result = await runScenario();
  }, 60_000);

  it('converges: every stream ends as its kind requires', () => {
    expect(result.streams).toHaveLength(40);
    for (const s of result.streams) {
      const spec = STREAM_KINDS[s.kind];
      expect(s.verdict, `${s.name} (${s.kind})`).toBe(spec.expect);
      if (spec.via) expect(s.lastOutcome, `${s.name} (${s.kind})`).toBe(spec.via);
    }
    expect(result.converged).toBe(true);
    const kinds = new Set(result.streams.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(Object.keys(STREAM_KINDS).sort());

    const flapping = result.streams.find((s) => s.kind === 'flapping')!;
    expect(flapping.callsLast24h).toEqual({ ours: 6, total: 11 });
    const remediated = result.streams.filter((s) => STREAM_KINDS[s.kind].via === 'REMEDIATED');
    for (const s of remediated.filter((r) => r.kind !== 'flapping')) expect(s.callsLast24h, s.name).toEqual({ ours: 1, total: 1 });
    expect(result.events.filter((e) => e.detail.kind === 'driftDetected')).toHaveLength(5 + 13);
    expect(result.events.filter((e) => e.detail.kind === 'complianceSnapshot')).toHaveLength(2);
    expectSchemaValid(result.events);

    const roundTrip = parseEventsJsonl(eventsJsonl(result.events));
    expect(roundTrip.map((e) => [e.detailType, e.time])).toEqual(result.events.map((e) => [e.detailType, e.time]));
    const html = renderReport({ title: 'test', events: result.events, streams: result.streams, converged: result.converged });
    expect(html).toContain(`<td class="num" id="event-total">${result.events.length}</td>`);
    expect(html).toContain('data-converged="true"');
  });

  it('spends one stream budget to the last call: Budget Low events, then a deferral until a call ages out', () => {
    const spent = result.streams.find((s) => s.kind === 'budgetSpent')!;
    const ofStream = (kind: GuardEvent['detail']['kind']) =>
      result.events.filter((e) => e.detail.kind === kind && (e.detail as { stream?: { name: string } }).stream?.name === spent.name);

    expect(spent.callsLast24h.total).toBe(25);
    expect(spent.lastReason).toBe('BUDGET_SPENT');
    expect(ofStream('budgetLow').length).toBeGreaterThanOrEqual(1);
    const deferred = ofStream('remediationDeferred').map((e) => e.detail as { reason: string; nextAttemptAt?: string });
    expect(deferred.length).toBeGreaterThanOrEqual(1);
    for (const d of deferred) {
      expect(d.reason).toBe('BUDGET_SPENT');
      expect(Date.parse(d.nextAttemptAt ?? '')).toBeGreaterThan(result.endedAt);
    }
  });

  it('reports the stream that cannot be fixed as failed, with Firehose reason', () => {
    const broken = result.streams.find((s) => s.kind === 'brokenVpc')!;
    const failed = result.events
      .filter((e) => e.detail.kind === 'remediationFailed' && (e.detail as { stream: { name: string } }).stream.name === broken.name)
      .map((e) => e.detail as { reason: string; failureType?: string; details: string });

    expect(broken.lastReason).toBe('CONFIGURATION');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toMatchObject({ reason: 'CONFIGURATION', failureType: 'SUBNET_NOT_FOUND' });
    expect(failed[0]?.details).toContain('subnet');
  });

  it('`report --events` counts what the Compliance Snapshot in events.jsonl says, and names its non-compliant streams', () => {
    const events = parseEventsJsonl(eventsJsonl(result.events));
    const snapshot = events.filter((e): e is GuardEvent<'complianceSnapshot'> => e.detail.kind === 'complianceSnapshot').at(-1)!;
    const { totals } = snapshot.detail;

    const streams = streamsFromEvents(events);
    const { counts, from } = statusCounts(events, streams);
    const html = renderReport({ title: 'report --events', events, streams });

    expect(from).toBe('snapshot');
    expect(counts).toMatchObject({
      COMPLIANT: totals.COMPLIANT,
      NON_COMPLIANT: totals.REMEDIATE,
      EXEMPT: totals.EXEMPT,
      NOT_APPLICABLE: totals.NOT_APPLICABLE,
      BUSY: totals.BUSY,
      GONE: totals.GONE,
    });
    expect(totals.COMPLIANT).toBe(result.streams.filter((s) => s.verdict === 'COMPLIANT').length);
    const nonCompliant = streams.filter((s) => s.verdict === 'REMEDIATE').map((s) => s.name);
    expect(nonCompliant.sort()).toEqual(snapshot.detail.nonCompliant.map((n) => n.name).sort());
    for (const status of ['COMPLIANT', 'NON_COMPLIANT', 'EXEMPT', 'NOT_APPLICABLE'] as const)
      expect(tileCount(html, status), status).toBe(counts[status]);
    // The report of the local run (every stream known) and the one from events.jsonl alone agree.
    const local = renderReport({ title: 'local', events: result.events, streams: result.streams });
    for (const status of ['COMPLIANT', 'NON_COMPLIANT', 'EXEMPT', 'NOT_APPLICABLE'] as const)
      expect(tileCount(local, status), status).toBe(tileCount(html, status));
  });

  it('is reproducible: the same seed gives the same account', async () => {
    const [a, b] = [await runScenario({ streams: 12, seed: 7 }), await runScenario({ streams: 12, seed: 7 })];
    expect(a.streams.map((s) => [s.name, s.kind, s.verdict])).toEqual(b.streams.map((s) => [s.name, s.kind, s.verdict]));
    expect(a.streams).toHaveLength(12);
    expect(a.converged).toBe(true);
  }, 60_000);
});
