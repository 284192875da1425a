import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

describe('emulator: stream lifecycle', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 3_000, deletingMs: 2_000 } });
  });
  afterEach(() => h.close());

  const describeStream = async (name: string) =>
    (await h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!;

  it('rule "DeliveryStreamStatus": a new stream is CREATING, then ACTIVE once the creation time has passed', async () => {
    const { DeliveryStreamARN } = await h.firehose.send(
      new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }),
    );

    expect(DeliveryStreamARN).toBe(`arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders`);
    expect((await describeStream('orders')).DeliveryStreamStatus).toBe('CREATING');
    h.clock.advance(2_999);
    expect((await describeStream('orders')).DeliveryStreamStatus).toBe('CREATING');
    h.clock.advance(1);
    const active = await describeStream('orders');
    expect(active.DeliveryStreamStatus).toBe('ACTIVE');
    expect(active.DeliveryStreamType).toBe('DirectPut');
    expect(active.DeliveryStreamEncryptionConfiguration).toEqual({ Status: 'DISABLED' });
    expect(active.CreateTimestamp).toBeInstanceOf(Date);
    expect(active.Destinations?.[0]?.ExtendedS3DestinationDescription?.BucketARN).toBe('arn:aws:s3:::delivery-bucket');
  });

  it('rule "DeliveryStreamStatus": a deleted stream is DELETING, then gone (ResourceNotFoundException)', async () => {
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    h.clock.advance(3_000);

    await h.firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'orders' }));

    expect((await describeStream('orders')).DeliveryStreamStatus).toBe('DELETING');
    h.clock.advance(2_000);
    const error = await errorOf(describeStream('orders'));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('ResourceInUse: a stream cannot be deleted while CREATING, nor created twice', async () => {
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));

    expect(await errorOf(h.firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'orders' })))).toBeInstanceOf(
      ResourceInUseException,
    );
    const duplicate = await errorOf(h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION })));
    expect(duplicate).toBeInstanceOf(ResourceInUseException);
    expect(duplicate.message).toContain('already exists');
  });

  it('rule "Stream name: 1..64 chars, [a-zA-Z0-9_.-]+": other names are a ValidationException', async () => {
    for (const name of ['', 'has space', 'x'.repeat(65), 'slash/name']) {
      const error = await errorOf(h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...S3_DESTINATION })));
      expect(error.name, name).toBe('ValidationException');
      expect(error.message).toContain("at 'deliveryStreamName'");
    }
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'A-z_0.9'.padEnd(64, 'x'), ...S3_DESTINATION }));
  });

  it('describes Kinesis- and MSK-sourced streams with their source, and requires the source configuration', async () => {
    await h.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'from-kinesis',
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/src`,
          RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`,
        },
        ...S3_DESTINATION,
      }),
    );
    h.clock.advance(3_000);
    const described = await describeStream('from-kinesis');
    expect(described.DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(described.Source?.KinesisStreamSourceDescription?.KinesisStreamARN).toContain(':stream/src');

    const missing = await errorOf(
      h.firehose.send(
        new CreateDeliveryStreamCommand({ DeliveryStreamName: 'from-msk', DeliveryStreamType: 'MSKAsSource', ...S3_DESTINATION }),
      ),
    );
    expect(missing.name).toBe('InvalidArgumentException');
  });

  it('requires exactly one destination configuration', async () => {
    const error = await errorOf(h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'nowhere' })));
    expect(error.name).toBe('InvalidArgumentException');
    expect(error.message).toContain('destination');
  });
});
