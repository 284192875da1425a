import { describe, expect, it } from 'vitest';
import { buildEvent, type GuardEvent, type StreamPart } from '../../../functions/domain/events.ts';
import { complianceScore, explainStarted, statusCounts, streamsFromEvents } from '../../../local/report-data.ts';
import { escapeHtml, jsonForScript } from '../../../local/report-escape.ts';
import { renderReport } from '../../../local/report-html.ts';
import { axisTicks, timeWindow } from '../../../local/report-timeline.ts';

const T0 = Date.UTC(2026, 10, 1, 23, 40);
const part = (name: string, account = '111111111111', region = 'us-east-1'): StreamPart => ({
  account,
  region,
  name,
  arn: `arn:aws:firehose:${region}:${account}:deliverystream/${name}`,
});
const totals = (compliant: number, remediate: number) => ({
  streams: compliant + remediate,
  COMPLIANT: compliant,
  NOT_APPLICABLE: 0,
  EXEMPT: 0,
  GONE: 0,
  BUSY: 0,
  REMEDIATE: remediate,
});

describe('the report data', () => {
  it('takes the counts from the latest snapshot of each account and region, not from the streams the events name', () => {
    const events: GuardEvent[] = [
      buildEvent(
        'complianceSnapshot',
        { sweepId: 's1', account: '111111111111', regions: ['us-east-1'], totals: totals(1, 9), nonCompliant: [], truncated: false },
        T0,
        's1',
      ),
      buildEvent(
        'complianceSnapshot',
        {
          sweepId: 's2',
          account: '111111111111',
          regions: ['us-east-1'],
          totals: totals(8, 2),
          nonCompliant: [{ name: 'b', region: 'us-east-1', reason: 'ENCRYPTION_DISABLED' }],
          truncated: false,
        },
        T0 + 60_000,
        's2',
      ),
      buildEvent(
        'complianceSnapshot',
        { sweepId: 's2', account: '222222222222', regions: ['eu-west-1'], totals: totals(5, 0), nonCompliant: [], truncated: false },
        T0 + 60_000,
        's2',
      ),
      buildEvent(
        'remediationFailed',
        { stream: part('a'), reason: 'KEY_PROBLEM', details: 'disabled', attempts: 1, callsSpent: 1 },
        T0 + 30_000,
        'x',
      ),
    ];

    const streams = streamsFromEvents(events);
    const { counts, from } = statusCounts(events, streams);

    expect(from).toBe('snapshot');
    expect(counts).toMatchObject({ COMPLIANT: 13, NON_COMPLIANT: 2 });
    expect(complianceScore(counts)).toBeCloseTo((13 / 15) * 100);
    expect(streams.map((s) => [s.name, s.verdict, s.lastOutcome ?? ''])).toEqual([
      ['a', 'REMEDIATE', 'FAILED'],
      ['b', 'REMEDIATE', ''],
    ]);
  });

  it('explains the starts: retries of a success, starts of failed remediations, and those in flight', () => {
    const started = (id: string, attempt: number, at: number) =>
      buildEvent(
        'remediationStarted',
        {
          stream: part(id),
          reason: 'ENCRYPTION_DISABLED',
          key: { keyType: 'AWS_OWNED_CMK' },
          attempts: attempt,
          budget: { remainingOurs: 19, remainingTotal: 24 },
        },
        at,
        id,
      );
    const events: GuardEvent[] = [
      started('ok', 1, T0),
      started('ok', 2, T0 + 1),
      buildEvent(
        'remediationSucceeded',
        {
          stream: part('ok'),
          key: { keyType: 'AWS_OWNED_CMK' },
          attempts: 2,
          callsSpent: 2,
          viaFallback: true,
          detectedAt: '',
          protectedAt: '',
          timeToCompliantSeconds: 30,
        },
        T0 + 2,
        'ok',
      ),
      started('bad', 1, T0),
      buildEvent(
        'remediationFailed',
        { stream: part('bad'), reason: 'CONFIGURATION', details: 'subnet', attempts: 1, callsSpent: 1 },
        T0 + 2,
        'bad',
      ),
      started('running', 1, T0),
    ];

    expect(explainStarted(events)).toEqual({ started: 4, succeeded: 1, retries: 1, inFailed: 1, inDeferred: 0, inFlight: 1 });
  });

  it('writes clock times on the axis, with the date where the day changes', () => {
    expect(axisTicks(T0, T0 + 40 * 60_000, 3).map((t) => t.label)).toEqual(['11-01 23:45', '11-02 00:00', '00:15']);
    expect(timeWindow(T0, T0 + 40 * 60_000)).toBe('2026-11-01 23:40 – 2026-11-02 00:20 UTC');
    expect(timeWindow(T0, T0 + 5 * 60_000)).toBe('2026-11-01 23:40 – 23:45 UTC');
  });

  it('never lets a stream name close the data block or become markup', () => {
    const name = '</script><script>alert(1)</script><!--&\u2028';
    const html = renderReport({
      title: '<b>title</b>',
      events: [
        buildEvent(
          'remediationFailed',
          { stream: part(name), reason: 'KEY_PROBLEM', details: '<img src=x>', attempts: 1, callsSpent: 1 },
          T0,
          'x',
        ),
      ],
    });

    expect(jsonForScript({ name })).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(jsonForScript({ name }))).toEqual({ name });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(html).toContain(`<title>${escapeHtml('<b>title</b>')}</title>`);
    expect(html).toMatch(/data-status="NON_COMPLIANT"[^>]*><span class="n" data-count>1</);
  });
});
