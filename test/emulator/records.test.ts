import {
  CreateDeliveryStreamCommand,
  InvalidKMSResourceException,
  PutRecordBatchCommand,
  PutRecordCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const ENABLING_MS = 3_000;
const data = new TextEncoder().encode('{"order":1}');

describe('emulator: PutRecord and PutRecordBatch answer Encrypted truthfully', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: ENABLING_MS, disablingMs: 1_000 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
  });
  afterEach(() => h.close());

  const put = async () => (await h.firehose.send(new PutRecordCommand({ DeliveryStreamName: 'orders', Record: { Data: data } }))).Encrypted;
  const putBatch = async () =>
    h.firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'orders', Records: [{ Data: data }, { Data: data }] }));

  it('"You can continue to read and write data ... while the encryption status is ENABLING, but the data is not encrypted", nor for 5 seconds after ENABLED', async () => {
    expect(await put()).toBe(false);
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
    expect(await put()).toBe(false); // ENABLING
    h.clock.advance(ENABLING_MS); // ENABLED now
    expect(await put()).toBe(false);
    h.clock.advance(4_999);
    expect((await putBatch()).Encrypted).toBe(false);
    h.clock.advance(1); // "up to 5 seconds after the encryption status changes to ENABLED"
    expect(await put()).toBe(true);
    const batch = await putBatch();
    expect(batch).toMatchObject({ Encrypted: true, FailedPutCount: 0 });
    expect(batch.RequestResponses).toHaveLength(2);
    expect(h.running.emulator.firehose.stream('orders').records).toEqual({ total: 8, encrypted: 3 });
  });

  it('records stay encrypted with the old key during a key change, and until DISABLED after a Stop', async () => {
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
    h.clock.advance(ENABLING_MS + 5_000);
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key },
      }),
    );
    expect(await put()).toBe(true);
    h.clock.advance(ENABLING_MS);
    expect(await put()).toBe(true);

    await h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    expect(await put()).toBe(true); // DISABLING
    h.clock.advance(1_000);
    expect(await put()).toBe(false);
  });

  it('a record for a stream whose customer managed key was disabled fails with InvalidKMSResourceException', async () => {
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key },
      }),
    );
    h.clock.advance(ENABLING_MS + 5_000);
    await h.kms.send(new DisableKeyCommand({ KeyId: key }));

    const error = await errorOf(put());
    expect(error).toBeInstanceOf(InvalidKMSResourceException);
    expect(error.message).toContain('DISABLED_KMS_KEY');
  });

  it('refuses a batch of more than 500 records (ValidationException) and unknown streams (ResourceNotFoundException)', async () => {
    const tooMany = Array.from({ length: 501 }, () => ({ Data: data }));
    expect((await errorOf(h.firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'orders', Records: tooMany })))).name).toBe(
      'ValidationException',
    );
    expect((await errorOf(h.firehose.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: data } })))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});
