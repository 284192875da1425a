import { describe, expect, it } from 'vitest';
import {
  boundReason,
  MAX_EVENT_CLOCK_SKEW_MS,
  MAX_QUOTED_CHARS,
  MAX_REASON_CHARS,
  parseIntakeEvent as parseAt,
  quote,
  scheduledRetryEvent,
} from '../../../functions/domain/intake/intake-event.ts';
import { executionName } from '../../../functions/domain/intake/execution-name.ts';
import { InvalidStreamNameError, MalformedEventError } from '../../../functions/domain/errors.ts';

/** The intake's clock in these tests: an hour after the events below. */
const NOW = Date.parse('2026-11-01T11:00:00Z');
const parseIntakeEvent = (raw: unknown) => parseAt(raw, NOW);

const trail = (detail: Record<string, unknown>) => ({
  source: 'aws.firehose',
  'detail-type': 'AWS API Call via CloudTrail',
  account: '123456789012',
  region: 'us-east-1',
  detail: {
    eventSource: 'firehose.amazonaws.com',
    eventName: 'StopDeliveryStreamEncryption',
    eventID: 'e-1',
    eventTime: '2026-11-01T10:00:00Z',
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    requestID: 'r-1',
    requestParameters: { deliveryStreamName: 'orders' },
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice' },
    ...detail,
  },
});

const compliance = (detail: Record<string, unknown> = {}) => ({
  source: 'aws.config',
  'detail-type': 'Config Rules Compliance Change',
  id: 'c-1',
  time: '2026-11-01T10:00:00Z',
  detail: {
    resourceType: 'AWS::KinesisFirehose::DeliveryStream',
    resourceId: 'orders',
    awsAccountId: '123456789012',
    awsRegion: 'eu-west-1',
    configRuleName: 'kinesis-firehose-delivery-stream-encrypted',
    newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
    ...detail,
  },
});
const item = {
  source: 'aws.config',
  'detail-type': 'Config Configuration Item Change',
  id: 'i-1',
  time: '2026-11-01T10:00:00Z',
  detail: {
    configurationItem: {
      resourceType: 'AWS::KinesisFirehose::DeliveryStream',
      resourceId: 'arn:aws:firehose:us-west-2:123456789012:deliverystream/orders',
    },
  },
};

describe('intake event parsing (shapes in shared/reference/firehose-facts.md)', () => {
  it('reads a CloudTrail Stop: the stream, the event id and time, the request id and the caller', () => {
    expect(parseIntakeEvent(trail({}))).toEqual({
      kind: 'api-call',
      eventName: 'StopDeliveryStreamEncryption',
      ref: { account: '123456789012', region: 'us-east-1', name: 'orders', partition: 'aws' },
      eventId: 'e-1',
      eventTime: Date.parse('2026-11-01T10:00:00Z'),
      requestId: 'r-1',
      actor: 'arn:aws:iam::123456789012:user/alice',
    });
  });

  it('names the role behind an assumed-role call ("sessionContext.sessionIssuer.arn"), and reads the key of a Start', () => {
    const parsed = parseIntakeEvent(
      trail({
        eventName: 'StartDeliveryStreamEncryption',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::123456789012:assumed-role/ops/bob',
          sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/ops' } },
        },
        requestParameters: {
          deliveryStreamName: 'orders',
          deliveryStreamEncryptionConfigurationInput: {
            keyType: 'CUSTOMER_MANAGED_CMK',
            keyARN: 'arn:aws:kms:us-east-1:123456789012:key/k',
          },
        },
      }),
    );
    expect(parsed).toMatchObject({
      actor: 'arn:aws:iam::123456789012:role/ops',
      requestedKey: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' },
    });
  });

  it('reads AWS Config changes by stream name or ARN, with the rule that judged a compliance change', () => {
    expect(parseIntakeEvent(compliance())).toMatchObject({
      kind: 'config',
      change: 'compliance',
      ref: { name: 'orders', region: 'eu-west-1' },
      rule: 'kinesis-firehose-delivery-stream-encrypted',
      compliance: 'NON_COMPLIANT',
      eventId: 'c-1',
    });
    expect(parseIntakeEvent(item)).toEqual({
      kind: 'config',
      change: 'item',
      ref: { account: '123456789012', region: 'us-west-2', name: 'orders', partition: 'aws' },
      eventId: 'i-1',
      eventTime: Date.parse('2026-11-01T10:00:00Z'),
    });
  });

  it.each([
    [null, 'expected an EventBridge event object'],
    [{ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, 'unsupported source/detail-type'],
    [{ source: 'aws.firehose', 'detail-type': 'AWS API Call via CloudTrail', detail: 'x' }, 'detail must be an object'],
    [trail({ eventName: 'PutRecord' }), 'not a call the remediator acts on'],
    [trail({ errorCode: 'ResourceInUseException' }), 'a failed call'],
    [trail({ eventID: '' }), 'eventID must be a non-empty string'],
    [trail({ eventTime: 'yesterday' }), 'eventTime is not a timestamp'],
    [trail({ requestParameters: { deliveryStreamName: 'no spaces' } }), 'invalid Firehose stream name'],
    [trail({ recipientAccountId: 'abc' }), 'invalid account id'],
    [
      { source: 'aws.config', 'detail-type': 'Config Rules Compliance Change', detail: { resourceType: 'AWS::S3::Bucket' } },
      'is not a Firehose stream',
    ],
    [{ source: 'aws.config', 'detail-type': 'Config Configuration Item Change', detail: {} }, 'configurationItem must be an object'],
    [compliance({ configRuleName: undefined }), 'detail.configRuleName must be a non-empty string'],
    [compliance({ newEvaluationResult: {} }), 'detail.newEvaluationResult.complianceType must be a non-empty string'],
    [{ ...compliance(), time: undefined }, 'time must be a non-empty string'],
    [{ ...item, id: '' }, 'id must be a non-empty string'],
    [trail({ userIdentity: { arn: 42 } }), 'detail.userIdentity.arn must be a string, got 42'],
    [
      trail({
        eventName: 'StartDeliveryStreamEncryption',
        requestParameters: { deliveryStreamName: 'orders', deliveryStreamEncryptionConfigurationInput: { keyType: 'KMS' } },
      }),
      'detail.requestParameters.deliveryStreamEncryptionConfigurationInput.keyType must be one of "AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK", got "KMS"',
    ],
  ])('refuses %j: %s', (event, message) => {
    expect(() => parseIntakeEvent(event)).toThrow(message);
    try {
      parseIntakeEvent(event);
    } catch (error) {
      expect((error as Error).name).toMatch(/MalformedEventError|InvalidStreamNameError/);
    }
  });

  it('names every problem by its field path, one per line in `problems`, and all of them in the message', () => {
    let refusal: unknown;
    try {
      parseIntakeEvent(trail({ eventID: 7, eventTime: 'soon', requestID: 5 }));
    } catch (error) {
      refusal = error;
    }

    expect(refusal).toBeInstanceOf(MalformedEventError);
    expect((refusal as MalformedEventError).problems).toEqual([
      'detail.eventID must be a non-empty string, got 7',
      'detail.eventTime is not a timestamp: "soon"',
      'detail.requestID must be a string, got 5',
    ]);
    expect((refusal as MalformedEventError).message).toBe(`event: ${(refusal as MalformedEventError).problems.join('; ')}`);
  });

  it('refuses an invalid stream before any other problem of the event, as stream-ref words it', () => {
    const event = trail({ recipientAccountId: 'abc', eventID: '' });
    expect(() => parseIntakeEvent(event)).toThrow(InvalidStreamNameError);
    expect(() => parseIntakeEvent(event)).toThrow('invalid account id "abc": expected 12 digits');
  });

  it('reads a null where CloudTrail may leave a field out as if it were left out', () => {
    expect(
      parseIntakeEvent(trail({ requestID: null, userIdentity: { arn: 'arn:aws:iam::123456789012:user/alice', sessionContext: null } })),
    ).toEqual(expect.objectContaining({ actor: 'arn:aws:iam::123456789012:user/alice', eventId: 'e-1' }));
    expect(parseIntakeEvent(trail({ requestID: null }))).not.toHaveProperty('requestId');
  });

  it('gives one execution name per stream and event, valid for Step Functions', () => {
    const ref = { account: '123456789012', region: 'us-east-1', name: 'x'.repeat(64) };
    const name = executionName(ref, 'event-1');
    expect(name).toBe(executionName(ref, 'event-1'));
    expect(name).not.toBe(executionName(ref, 'event-2'));
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[a-zA-Z0-9_.-]+$/);
  });
});

describe("the loop guard's role patterns", () => {
  it("matches the remediator's role exactly, or in any account through *", async () => {
    const { roleMatches } = await import('../../../functions/domain/intake/intake.ts');
    expect(roleMatches('arn:aws:iam::123456789012:role/guard-enable', 'arn:aws:iam::123456789012:role/guard-enable')).toBe(true);
    expect(roleMatches('arn:aws:iam::123456789012:role/guard-enable', 'arn:aws:iam::123456789012:role/guard-enable2')).toBe(false);
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::210987654321:role/firehose-sse-guard-member')).toBe(
      true,
    );
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::210987654321:role/other')).toBe(false);
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::1:2:role/firehose-sse-guard-member')).toBe(false);
  });
});

describe('event times (issue 11, #17: "An event dated in year 9999 is accepted and holds the ledger at 25 for good")', () => {
  it('refuses a CloudTrail call dated in year 9999, saying when it is dated, by how much it is ahead, and the skew allowed', () => {
    expect(() => parseIntakeEvent(trail({ eventTime: '9999-12-31T23:59:59Z' }))).toThrow(
      /^event: detail\.eventTime 9999-12-31T23:59:59\.000Z is \d+ s ahead of the intake's clock \(2026-11-01T11:00:00\.000Z\); at most 300 s of clock skew are accepted$/,
    );
  });

  it('accepts an event up to the clock skew ahead ("Event times in the future beyond a small clock skew are refused"), and refuses one just beyond', () => {
    const at = (ms: number) => new Date(NOW + ms).toISOString();
    expect(MAX_EVENT_CLOCK_SKEW_MS).toBe(5 * 60 * 1000);
    expect(parseIntakeEvent(trail({ eventTime: at(MAX_EVENT_CLOCK_SKEW_MS) }))).toMatchObject({ eventTime: NOW + MAX_EVENT_CLOCK_SKEW_MS });
    expect(() => parseIntakeEvent(trail({ eventTime: at(MAX_EVENT_CLOCK_SKEW_MS + 1000) }))).toThrow('301 s ahead');
  });

  it('applies the same bound to AWS Config and scheduled-retry events (their envelope time)', () => {
    expect(() => parseIntakeEvent({ ...compliance(), time: '9999-01-01T00:00:00Z' })).toThrow('event: time 9999-01-01T00:00:00.000Z is');
    const ref = { account: '123456789012', region: 'us-east-1', name: 'orders' };
    expect(() => parseIntakeEvent(scheduledRetryEvent(ref, 'BUDGET_SPENT', Date.UTC(9999, 0, 1), 'retry-1'))).toThrow(
      "ahead of the intake's clock",
    );
  });

  it('accepts an old event: the ledger, not the parser, leaves out calls older than 24 hours', () => {
    expect(parseIntakeEvent(trail({ eventTime: '2026-10-01T00:00:00Z' }))).toMatchObject({ eventTime: Date.parse('2026-10-01T00:00:00Z') });
  });
});

describe('reasons within bounds (issue 11, #14: "the reason quotes the whole invalid value")', () => {
  const hugeName = 'n'.repeat(200_000);

  it('quotes a 200 KB stream name by its start, cut with an ellipsis and its length', () => {
    let reason = '';
    try {
      parseIntakeEvent(trail({ requestParameters: { deliveryStreamName: hugeName } }));
    } catch (error) {
      expect((error as Error).name).toBe('InvalidStreamNameError');
      reason = (error as Error).message;
    }
    expect(reason).toBe(
      `invalid Firehose stream name "${'n'.repeat(MAX_QUOTED_CHARS - 1)}…" (200002 characters): expected 1 to 64 characters of [a-zA-Z0-9_.-]`,
    );
  });

  it("quotes every refused value within MAX_QUOTED_CHARS, in the intake's own messages too", () => {
    const refusals = [
      trail({ eventName: hugeName }),
      trail({ eventID: { nested: hugeName } }),
      trail({ eventTime: hugeName }),
      trail({ errorCode: hugeName }),
      { source: hugeName, 'detail-type': 'x', detail: {} },
      compliance({ resourceType: hugeName }),
    ];
    for (const event of refusals) {
      expect(() => parseIntakeEvent(event)).toThrow();
      try {
        parseIntakeEvent(event);
      } catch (error) {
        expect((error as Error).message.length, (error as Error).message.slice(0, 80)).toBeLessThan(400);
        expect((error as Error).message).toMatch(/…"? \(\d+ characters\)/);
      }
    }
  });

  it('bounds any reason: quoted values cut, the whole at most MAX_REASON_CHARS, and bounding twice changes nothing', () => {
    const long = `invalid region ${JSON.stringify('r'.repeat(5_000))}; and ${'x'.repeat(5_000)}`;
    const bounded = boundReason(long);
    expect(bounded.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(bounded.startsWith(`invalid region ${quote('r'.repeat(5_000))}; and xxx`)).toBe(true);
    expect(bounded.endsWith('…')).toBe(true);
    expect(boundReason(bounded)).toBe(bounded);
    expect(boundReason('event: detail must be an object')).toBe('event: detail must be an object');
  });
});

describe("the scheduled-retry event (EventBridge Scheduler's input to the intake)", () => {
  const ref = { account: '123456789012', region: 'eu-west-1', name: 'orders' };
  const at = Date.parse('2026-11-01T10:30:00Z');

  it('is built in the documented shape and parses back into the stream, the reason and the times', () => {
    const event = scheduledRetryEvent(ref, 'BUDGET_SPENT', at, 'retry-orders-1');
    expect(event).toEqual({
      source: 'firehose-sse-guard.scheduler',
      'detail-type': 'Scheduled Retry',
      id: 'retry-orders-1',
      time: '2026-11-01T10:30:00.000Z',
      detail: {
        stream: { account: '123456789012', region: 'eu-west-1', name: 'orders' },
        reason: 'BUDGET_SPENT',
        scheduledFor: '2026-11-01T10:30:00.000Z',
      },
    });
    expect(parseIntakeEvent(JSON.parse(JSON.stringify(event)))).toEqual({
      kind: 'scheduled-retry',
      ref: { ...ref, partition: 'aws' },
      eventId: 'retry-orders-1',
      eventTime: at,
      reason: 'BUDGET_SPENT',
      scheduledFor: at,
    });
  });

  it('cuts a long reason so that what it builds always parses', () => {
    const event = scheduledRetryEvent(ref, 'r'.repeat(5_000), at, 'retry-2');
    expect(event.detail.reason.length).toBe(MAX_REASON_CHARS);
    expect(parseIntakeEvent(event)).toMatchObject({ kind: 'scheduled-retry' });
  });

  const retry = (change: (e: Record<string, unknown> & { detail: Record<string, unknown> }) => void) => {
    const event = JSON.parse(JSON.stringify(scheduledRetryEvent(ref, 'BUDGET_SPENT', at, 'retry-3'))) as Record<string, unknown> & {
      detail: Record<string, unknown>;
    };
    change(event);
    return event;
  };
  it.each([
    [
      'the stream name is invalid',
      retry((e) => (e.detail.stream = { account: '123456789012', region: 'eu-west-1', name: 'no spaces' })),
      'invalid Firehose stream name',
    ],
    [
      'the account is not 12 digits',
      retry((e) => (e.detail.stream = { account: '1234', region: 'eu-west-1', name: 'orders' })),
      'invalid account id',
    ],
    [
      'the region is invalid',
      retry((e) => (e.detail.stream = { account: '123456789012', region: 'mars', name: 'orders' })),
      'invalid region',
    ],
    ['the stream is a bare name', retry((e) => (e.detail.stream = 'orders')), 'detail.stream must be an object'],
    [
      'the stream has an unknown field',
      retry((e) => (e.detail.stream = { account: '123456789012', region: 'eu-west-1', name: 'orders', arn: 'x' })),
      'detail.stream has unknown fields ["arn"]',
    ],
    ['the detail has an unknown field', retry((e) => (e.detail.attempt = 2)), 'detail has unknown fields ["attempt"]'],
    ['the reason is empty', retry((e) => (e.detail.reason = '')), 'detail.reason must be a non-empty string'],
    [
      'the reason is too long',
      retry((e) => (e.detail.reason = 'r'.repeat(MAX_REASON_CHARS + 1))),
      `detail.reason must be at most ${MAX_REASON_CHARS} characters`,
    ],
    ['scheduledFor is not a time', retry((e) => (e.detail.scheduledFor = 'soon')), 'detail.scheduledFor is not a timestamp'],
    ['the id is missing', retry((e) => delete e.id), 'id must be a non-empty string'],
    ['time is not a time', retry((e) => (e.time = 'later')), 'time is not a timestamp'],
    ['the source is another', retry((e) => (e.source = 'firehose-sse-guard')), 'unsupported source/detail-type'],
  ])('refuses a retry where %s: %s', (_change, event, message) => {
    expect(() => parseIntakeEvent(event)).toThrow(message);
  });
});
