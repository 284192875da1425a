import { buildEvent, type GuardEvent, type StreamPart } from '../../functions/domain/events.ts';
import { streamsFromEvents, type ReportStream } from '../../local/report-html.ts';

const ACCOUNT = '123456789012';
const REGIONS = ['us-east-1', 'eu-west-1'];
const T0 = Date.UTC(2026, 10, 1, 22, 0);
const APPROVED = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

/**
 * A large account's events as the `report` command would read them: per ten streams, six remediated
 * (every fourth on the fallback key), one Kinesis-sourced, one exempt, one failed on its key and one
 * deferred for its budget; a Compliance Snapshot at the end. Spans midnight, so the axis shows dates.
 */
export function syntheticReport(count: number, extraName?: string): { events: GuardEvent[]; streams: ReportStream[] } {
  const events: GuardEvent[] = [];
  const totals = { streams: count, COMPLIANT: 0, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 0 };
  const nonCompliant: { name: string; region: string; reason: string }[] = [];
  for (let i = 0; i < count; i += 1) {
    const region = REGIONS[i % 2] as string;
    const name = i === 0 && extraName ? extraName : `stream-${String(i).padStart(5, '0')}`;
    const stream: StreamPart = { account: ACCOUNT, region, name, arn: `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}` };
    const at = T0 + i * 1_500;
    const id = `exec-${i}`;
    const kind = i % 10;
    const evaluated = (verdict: 'REMEDIATE' | 'NOT_APPLICABLE' | 'EXEMPT') =>
      buildEvent(
        'evaluated',
        { stream, verdict, encryption: { status: 'DISABLED' }, trigger: 'sweep', mode: 'enforce' },
        at,
        id,
      ) as GuardEvent;
    if (kind === 6) {
      events.push(evaluated('NOT_APPLICABLE'));
      totals.NOT_APPLICABLE += 1;
      continue;
    }
    if (kind === 7) {
      events.push(evaluated('EXEMPT'));
      totals.EXEMPT += 1;
      continue;
    }
    events.push(evaluated('REMEDIATE'));
    const budget = { remainingOurs: 19, remainingTotal: 24 };
    if (kind === 9) {
      events.push(
        buildEvent(
          'remediationDeferred',
          {
            stream,
            reason: 'BUDGET_SPENT',
            nextAttemptAt: new Date(at + 86_400_000).toISOString(),
            details: 'no encryption call left for this stream',
          },
          at + 1_000,
          id,
        ),
      );
      totals.REMEDIATE += 1;
      nonCompliant.push({ name, region, reason: 'ENCRYPTION_DISABLED' });
      continue;
    }
    const fallback = i % 4 === 0;
    const key = fallback ? { keyType: 'AWS_OWNED_CMK' as const } : { keyType: 'CUSTOMER_MANAGED_CMK' as const, keyArn: APPROVED };
    events.push(buildEvent('remediationStarted', { stream, reason: 'ENCRYPTION_DISABLED', key, attempts: 1, budget }, at + 500, id));
    if (kind === 8) {
      events.push(
        buildEvent(
          'remediationFailed',
          { stream, reason: 'KEY_PROBLEM', failureType: 'DISABLED_KMS_KEY', details: 'the key is disabled', attempts: 1, callsSpent: 1 },
          at + 30_000,
          id,
        ),
      );
      totals.REMEDIATE += 1;
      nonCompliant.push({ name, region, reason: 'ENABLING_FAILED' });
      continue;
    }
    const done = new Date(at + 30_000).toISOString();
    events.push(
      buildEvent(
        'remediationSucceeded',
        {
          stream,
          key,
          attempts: 1,
          callsSpent: 1,
          viaFallback: fallback,
          detectedAt: new Date(at).toISOString(),
          protectedAt: done,
          timeToCompliantSeconds: 30,
        },
        at + 30_000,
        id,
      ),
    );
    totals.COMPLIANT += 1;
  }
  const end = T0 + count * 1_500 + 60_000;
  events.push(
    buildEvent(
      'complianceSnapshot',
      {
        sweepId: 'sweep-1',
        account: ACCOUNT,
        regions: REGIONS,
        totals,
        nonCompliant: nonCompliant.slice(0, 200),
        truncated: nonCompliant.length > 200,
      },
      end,
      'sweep-1',
    ),
  );
  const streams = streamsFromEvents(events).map((s, i) => ({ ...s, callsLast24h: { ours: i % 21, total: (i % 21) + (i % 5) } }));
  return { events, streams };
}
