import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assumedRoleIdentity, type CloudTrailEvent } from '../../local/emulator/index.ts';
import { ACCOUNT, errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const REMEDIATOR_ROLE = `arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-remediator`;

describe('emulator: every call is recorded as an EventBridge-shaped CloudTrail event', () => {
  let h: Harness;
  let delivered: CloudTrailEvent[];
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0 } });
    delivered = [];
    h.running.emulator.cloudTrail.subscribe((e) => delivered.push(e));
  });
  afterEach(() => h.close());

  it('rule "source: aws.firehose, detail-type: AWS API Call via CloudTrail, detail.eventSource: firehose.amazonaws.com"', async () => {
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));

    expect(delivered).toHaveLength(1);
    const event = delivered[0]!;
    expect(event).toMatchObject({
      version: '0',
      source: 'aws.firehose',
      'detail-type': 'AWS API Call via CloudTrail',
      account: ACCOUNT,
      region: 'us-east-1',
      detail: {
        eventSource: 'firehose.amazonaws.com',
        eventName: 'CreateDeliveryStream',
        eventType: 'AwsApiCall',
        awsRegion: 'us-east-1',
        recipientAccountId: ACCOUNT,
        sourceIPAddress: '127.0.0.1',
        readOnly: false,
        managementEvent: true,
        requestParameters: { deliveryStreamName: 'orders' },
        responseElements: { deliveryStreamARN: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders` },
        userIdentity: { type: 'IAMUser', accessKeyId: 'AKIATESTUSER' },
      },
    });
    for (const field of ['eventVersion', 'eventID', 'eventTime', 'requestID', 'userAgent']) expect(event.detail[field], field).toBeTruthy();
    expect(event.time).toBe(new Date(h.clock.now()).toISOString().replace('.000Z', 'Z'));
    expect(event.detail.errorCode).toBeUndefined();
  });

  it('rule "requestParameters uses the API member names with the first letter lower-cased" for Start', async () => {
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
    const start = h.running.emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' });
    expect(start).toHaveLength(1);
    expect(start[0]!.detail.requestParameters).toEqual({
      deliveryStreamName: 'orders',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
    });
  });

  it('rule "A failed call has errorCode": failures are recorded with errorCode and errorMessage', async () => {
    await errorOf(h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'missing' })));
    await errorOf(h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'bad name' })));

    expect(delivered.map((e) => [e.detail.eventName, e.detail.errorCode])).toEqual([
      ['StopDeliveryStreamEncryption', 'ResourceNotFoundException'],
      ['DescribeDeliveryStream', 'ValidationException'],
    ]);
    expect(delivered[0]!.detail.errorMessage).toContain('missing');
    expect(delivered[1]!.detail.readOnly).toBe(true);
  });

  it('rule "sessionContext.sessionIssuer.arn names the role behind an assumed-role call"', async () => {
    h.running.emulator.registerIdentity('ASIAREMEDIATOR', assumedRoleIdentity(REMEDIATOR_ROLE, 'remediate-orders', 'ASIAREMEDIATOR'));
    const remediator = h.clientAs('ASIAREMEDIATOR');

    await remediator.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    remediator.destroy();

    expect(delivered[0]!.detail.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/firehose-sse-guard-remediator/remediate-orders`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: REMEDIATOR_ROLE } },
    });
  });

  it('serves the record over the admin path too', async () => {
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    const body = (await (await fetch(`${h.running.endpoint}/_emulator/cloudtrail?eventName=CreateDeliveryStream`)).json()) as {
      events: CloudTrailEvent[];
    };
    expect(body.events.map((e) => e.detail.requestParameters)).toEqual([expect.objectContaining({ deliveryStreamName: 'orders' })]);
  });
});
