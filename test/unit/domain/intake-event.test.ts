import { describe, expect, it } from 'vitest';
import { parseIntakeEvent } from '../../../functions/domain/intake/intake-event.ts';
import { executionName } from '../../../functions/domain/intake/execution-name.ts';

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
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/ops/bob', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/ops' } } },
        requestParameters: { deliveryStreamName: 'orders', deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyARN: 'arn:aws:kms:us-east-1:123456789012:key/k' } },
      }),
    );
    expect(parsed).toMatchObject({ actor: 'arn:aws:iam::123456789012:role/ops', requestedKey: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k' } });
  });

  it('reads AWS Config changes by stream name or ARN', () => {
    const compliance = { source: 'aws.config', 'detail-type': 'Config Rules Compliance Change', id: 'c-1', time: '2026-11-01T10:00:00Z', detail: { resourceType: 'AWS::KinesisFirehose::DeliveryStream', resourceId: 'orders', awsAccountId: '123456789012', awsRegion: 'eu-west-1', newEvaluationResult: { complianceType: 'NON_COMPLIANT' } } };
    expect(parseIntakeEvent(compliance)).toMatchObject({ kind: 'config', ref: { name: 'orders', region: 'eu-west-1' }, compliance: 'NON_COMPLIANT', eventId: 'c-1' });
    const item = { source: 'aws.config', 'detail-type': 'Config Configuration Item Change', detail: { configurationItem: { resourceType: 'AWS::KinesisFirehose::DeliveryStream', resourceId: 'arn:aws:firehose:us-west-2:123456789012:deliverystream/orders' } } };
    expect(parseIntakeEvent(item)).toMatchObject({ kind: 'config', ref: { name: 'orders', region: 'us-west-2' } });
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
    [{ source: 'aws.config', 'detail-type': 'Config Rules Compliance Change', detail: { resourceType: 'AWS::S3::Bucket' } }, 'is not a Firehose stream'],
    [{ source: 'aws.config', 'detail-type': 'Config Configuration Item Change', detail: {} }, 'configurationItem must be an object'],
  ])('refuses %j: %s', (event, message) => {
    expect(() => parseIntakeEvent(event)).toThrow(message);
    try {
      parseIntakeEvent(event);
    } catch (error) {
      expect((error as Error).name).toMatch(/MalformedEventError|InvalidStreamNameError/);
    }
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

describe('the loop guard\'s role patterns', () => {
  it('matches the remediator\'s role exactly, or in any account through *', async () => {
    const { roleMatches } = await import('../../../functions/domain/intake/intake.ts');
    expect(roleMatches('arn:aws:iam::123456789012:role/guard-enable', 'arn:aws:iam::123456789012:role/guard-enable')).toBe(true);
    expect(roleMatches('arn:aws:iam::123456789012:role/guard-enable', 'arn:aws:iam::123456789012:role/guard-enable2')).toBe(false);
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::210987654321:role/firehose-sse-guard-member')).toBe(true);
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::210987654321:role/other')).toBe(false);
    expect(roleMatches('arn:aws:iam::*:role/firehose-sse-guard-member', 'arn:aws:iam::1:2:role/firehose-sse-guard-member')).toBe(false);
  });
});
