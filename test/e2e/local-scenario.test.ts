import { describe, expect, it } from 'vitest';
import { eventsJsonl, parseEventsJsonl, renderReport } from '../../local/report-html.ts';
import { runScenario, STREAM_KINDS } from '../../local/scenario.ts';
import { expectSchemaValid } from '../support/local-account.ts';

describe('the main job: the default scenario on the local account', () => {
  it('converges: every stream ends as its kind requires', async () => {
    const result = await runScenario();

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
    expect(result.events.filter((e) => e.detail.kind === 'driftDetected')).toHaveLength(5);
    expect(result.events.filter((e) => e.detail.kind === 'complianceSnapshot')).toHaveLength(2);
    expectSchemaValid(result.events);

    const roundTrip = parseEventsJsonl(eventsJsonl(result.events));
    expect(roundTrip.map((e) => [e.detailType, e.time])).toEqual(result.events.map((e) => [e.detailType, e.time]));
    const html = renderReport({ title: 'test', events: result.events, streams: result.streams, converged: result.converged });
    expect(html).toContain(`<td class="num" id="event-total">${result.events.length}</td>`);
    expect(html).toContain('data-converged="true"');
  }, 60_000);

  it('is reproducible: the same seed gives the same account', async () => {
    const [a, b] = [await runScenario({ streams: 12, seed: 7 }), await runScenario({ streams: 12, seed: 7 })];
    expect(a.streams.map((s) => [s.name, s.kind, s.verdict])).toEqual(b.streams.map((s) => [s.name, s.kind, s.verdict]));
    expect(a.converged).toBe(true);
  }, 60_000);
});
