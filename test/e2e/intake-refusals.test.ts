import { describe, expect, it } from 'vitest';
import { scheduledRetryEvent } from '../../functions/domain/intake/intake-event.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { useScenario } from '../support/local-account.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';

/** "SQS message bodies and attributes together are limited to 256 KiB." */
const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: 'orders' };

/** A person's Stop as CloudTrail delivers it through EventBridge (the rule encryption-stopped.json matches it). */
const stop = (name: string, eventTime: string) => ({
  id: `evt-${eventTime}`,
  source: 'aws.firehose',
  'detail-type': 'AWS API Call via CloudTrail',
  account: '123456789012',
  region: 'us-east-1',
  time: eventTime,
  detail: {
    eventSource: 'firehose.amazonaws.com',
    eventName: 'StopDeliveryStreamEncryption',
    eventID: `ct-${eventTime}`,
    eventTime,
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    requestID: `req-${eventTime}`,
    requestParameters: { deliveryStreamName: name },
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/mallory' },
  },
});

describe('the intake on the local account refuses what it cannot use, within bounds (issue 11)', () => {
  const s = useScenario({ triggers: true });

  it('#14 "A 200 KB stream name made the intake throw instead of dead-lettering": it is dead-lettered once, the letter under 256 KiB, the delivery succeeds', async () => {
    const event = stop('n'.repeat(200 * 1024), new Date(s.account.clock.now()).toISOString());
    expect(s.account.bus.route(event)).toEqual(['encryptionStopped']);
    s.account.bus.put(event);
    await s.account.drain();

    expect(s.account.bus.failed).toEqual([]);
    expect(s.account.deadLetters.letters).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^invalid Firehose stream name "n+…" \(204802 characters\): expected 1 to 64 characters/),
        eventTruncated: true,
        eventSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
    expect(s.account.deadLetters.letters[0]!.bytes).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
    expect(s.account.deadLetters.letters[0]!.reason.length).toBeLessThanOrEqual(1024);
    expect(s.account.starter.started).toBe(0);
  });

  it('#17 "An event dated in year 9999 is accepted and holds the ledger at 25 for good": it is dead-lettered with the reason, and the ledger stays empty', async () => {
    s.account.bus.put(stop('orders', '9999-12-31T00:00:00Z'));
    await s.account.drain();

    expect(s.account.deadLetters.letters).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(
          /^event: detail\.eventTime 9999-12-31T00:00:00\.000Z is \d+ s ahead of the intake's clock \(2026-11-01T00:00:00\.000Z\); at most 300 s of clock skew are accepted$/,
        ),
      }),
    ]);
    expect(await s.account.deps.ledger.calls(ref, s.account.clock.now())).toEqual([]);
    expect(s.account.starter.started).toBe(0);
    expect(s.account.events.ofKind('driftDetected')).toEqual([]);
  });

  it('#17: a Stop within the clock skew is taken in (recorded, drift published, a workflow started)', async () => {
    s.account.bus.put(stop('orders', new Date(s.account.clock.now() + 60_000).toISOString()));
    await s.account.drain();

    expect(s.account.deadLetters.letters).toEqual([]);
    expect(await s.account.deps.ledger.calls(ref, s.account.clock.now())).toEqual([
      expect.objectContaining({ by: 'other', operation: 'Stop' }),
    ]);
    expect(s.account.events.ofKind('driftDetected')).toHaveLength(1);
    expect(s.account.starter.started).toBe(1);
  });

  it('a scheduled retry (what EventBridge Scheduler delivers to the intake) starts one workflow with trigger scheduled-retry, however often it is delivered', async () => {
    const retry = scheduledRetryEvent(ref, 'BUDGET_SPENT', s.account.clock.now(), 'retry-orders-1');

    expect(await s.account.intake(retry)).toMatchObject({
      action: 'started',
      trigger: 'scheduled-retry',
      executionName: expect.stringMatching(/^orders-r[0-9a-f]{14}$/),
    });
    await s.account.intake(structuredClone(retry));
    await s.account.drain();

    expect(s.account.starter.started).toBe(1);
    expect(s.account.deadLetters.letters).toEqual([]);
  });
});

// Issue 14: "The intake accepted a CreateDeliveryStream event for account 999999999999 and remediated
// the local stream of the same name." ... "The intake refuses events for accounts outside the
// organization or configured list, and regions outside the configured set, with a dead letter that says why."
describe('the intake refuses events for streams outside the deployment', () => {
  const s = useScenario({ triggers: true });

  const foreign = (account: string, region: string) => {
    const event = stop('orders', new Date(s.account.clock.now()).toISOString());
    return {
      ...event,
      account,
      region,
      detail: {
        ...event.detail,
        recipientAccountId: account,
        awsRegion: region,
        userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/x` },
      },
    };
  };

  it.each([
    [
      'an account outside the configured list',
      '999999999999',
      'us-east-1',
      /^account 999999999999 is outside this deployment's accounts \(123456789012\)/,
    ],
    [
      'a region outside the configured set',
      '123456789012',
      'eu-west-1',
      /^region eu-west-1 is outside this deployment's regions \(us-east-1\)/,
    ],
  ])(
    '%s: dead-lettered with the reason, no workflow, no ledger entry, the local stream of the same name untouched',
    async (_what, account, region, reason) => {
      // The local stream of the same name, made without an API call (no CloudTrail, no trigger).
      s.account.emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: 'orders', ...S3_DESTINATION });
      s.account.bus.put(foreign(account, region));
      await s.account.drain();

      expect(s.account.deadLetters.letters).toEqual([expect.objectContaining({ reason: expect.stringMatching(reason) })]);
      expect(s.account.starter.started).toBe(0);
      expect(s.acceptedStarts('orders')).toBe(0);
      expect(await s.account.deps.ledger.calls({ account, region, name: 'orders' }, s.account.clock.now())).toEqual([]);
      expect(s.account.emulator.emulator.firehose.stream('orders').encryption.status).toBe('DISABLED');
    },
  );
});
