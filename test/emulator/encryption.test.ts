import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  InvalidArgumentException,
  ResourceInUseException,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand, DisableKeyCommand, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const ENABLING_MS = 4_000;

describe('emulator: StartDeliveryStreamEncryption and StopDeliveryStreamEncryption', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: ENABLING_MS, disablingMs: 1_000 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
  });
  afterEach(() => h.close());

  const encryption = async (name = 'orders') =>
    (await h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription!
      .DeliveryStreamEncryptionConfiguration!;
  const start = (input: { KeyType: 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK'; KeyARN?: string }, name = 'orders') =>
    h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: name, DeliveryStreamEncryptionConfigurationInput: input }),
    );
  const newKey = async (spec: 'SYMMETRIC_DEFAULT' | 'RSA_2048' = 'SYMMETRIC_DEFAULT') =>
    (await h.kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;

  it('"Kinesis Data Firehose first sets the encryption status of the stream to ENABLING, and then to ENABLED"', async () => {
    await start({ KeyType: 'AWS_OWNED_CMK' });

    expect(await encryption()).toEqual({ Status: 'ENABLING', KeyType: 'AWS_OWNED_CMK' });
    h.clock.advance(ENABLING_MS);
    expect(await encryption()).toEqual({ Status: 'ENABLED', KeyType: 'AWS_OWNED_CMK' });
  });

  it('enables with a customer managed key and reports its ARN', async () => {
    const key = await newKey();
    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
    h.clock.advance(ENABLING_MS);
    expect(await encryption()).toEqual({ Status: 'ENABLED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
  });

  it.each([
    ['a missing key', 'KMS_KEY_NOT_FOUND', async () => `arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`],
    [
      'a disabled key ("The CMK must be enabled")',
      'DISABLED_KMS_KEY',
      async (k: string) => {
        await h.kms.send(new DisableKeyCommand({ KeyId: k }));
        return k;
      },
    ],
    [
      'a key pending deletion',
      'INVALID_KMS_KEY',
      async (k: string) => {
        await h.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k, PendingWindowInDays: 7 }));
        return k;
      },
    ],
    ['an asymmetric key ("doesn\'t support asymmetric CMKs")', 'INVALID_KMS_KEY', async () => newKey('RSA_2048')],
    [
      'a key whose policy denies Firehose ("mustn\'t explicitly deny")',
      'KMS_ACCESS_DENIED',
      async (k: string) => {
        const policy = {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
            { Sid: 'no-firehose', Effect: 'Deny', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:*', Resource: '*' },
          ],
        };
        await h.kms.send(new PutKeyPolicyCommand({ KeyId: k, PolicyName: 'default', Policy: JSON.stringify(policy) }));
        return k;
      },
    ],
  ])('ENABLING then ENABLING_FAILED with %s: FailureDescription.Type %s', async (_case, type, prepare) => {
    const key = await prepare(await newKey());

    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
    expect((await encryption()).Status).toBe('ENABLING');
    h.clock.advance(ENABLING_MS);

    const after = await encryption();
    expect(after.Status).toBe('ENABLING_FAILED');
    expect(after.FailureDescription?.Type).toBe(type);
    expect(after.FailureDescription?.Details?.length).toBeGreaterThan(0);
    expect(after.FailureDescription?.Details?.length).toBeLessThanOrEqual(1024);
  });

  it('"If the encryption status ... is ENABLING_FAILED, you can invoke this operation again with a valid CMK"', async () => {
    const bad = await newKey('RSA_2048');
    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: bad });
    h.clock.advance(ENABLING_MS);
    const good = await newKey();

    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: good });
    h.clock.advance(ENABLING_MS);

    expect(await encryption()).toEqual({ Status: 'ENABLED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: good });
  });

  it('"If you invoke this method to change the CMK ... and you get ENABLING_FAILED ... encryption remains enabled with the old CMK"', async () => {
    const old = await newKey();
    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: old });
    h.clock.advance(ENABLING_MS);
    const broken = await newKey();
    await h.kms.send(new DisableKeyCommand({ KeyId: broken }));

    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: broken });
    expect(await encryption()).toMatchObject({ Status: 'ENABLING', KeyARN: broken });
    h.clock.advance(ENABLING_MS);

    const after = await encryption();
    expect(after).toMatchObject({ Status: 'ENABLING_FAILED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: old });
    expect(after.FailureDescription?.Type).toBe('DISABLED_KMS_KEY');
    expect(h.running.emulator.firehose.stream('orders').encryption.effectiveKey?.keyArn).toBe(old);
  });

  it('"Even if encryption is currently enabled ... you can still invoke this operation on it to change the ARN of the CMK or both its type and ARN"', async () => {
    await start({ KeyType: 'AWS_OWNED_CMK' });
    h.clock.advance(ENABLING_MS);
    const key = await newKey();

    await start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
    h.clock.advance(ENABLING_MS);

    expect(await encryption()).toEqual({ Status: 'ENABLED', KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key });
  });

  it('Stop: DISABLING, then DISABLED', async () => {
    await start({ KeyType: 'AWS_OWNED_CMK' });
    h.clock.advance(ENABLING_MS);

    await h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    expect((await encryption()).Status).toBe('DISABLING');
    h.clock.advance(1_000);
    expect(await encryption()).toEqual({ Status: 'DISABLED' });
  });

  it('"You can enable SSE for a delivery stream only if it\'s a delivery stream that uses DirectPut as its source"', async () => {
    await h.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'from-kinesis',
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s`,
          RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`,
        },
        ...S3_DESTINATION,
      }),
    );

    expect(await errorOf(start({ KeyType: 'AWS_OWNED_CMK' }, 'from-kinesis'))).toBeInstanceOf(InvalidArgumentException);
    expect(await errorOf(h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'from-kinesis' })))).toBeInstanceOf(
      InvalidArgumentException,
    );
    const atCreate = await errorOf(
      h.firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'from-kinesis-2',
          DeliveryStreamType: 'KinesisStreamAsSource',
          KinesisStreamSourceConfiguration: {
            KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s`,
            RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`,
          },
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
          ...S3_DESTINATION,
        }),
      ),
    );
    expect(atCreate).toBeInstanceOf(InvalidArgumentException);
  });

  it('"If you set KeyType to CUSTOMER_MANAGED_CMK, you must specify the ... ARN"; AWS_OWNED_CMK takes none', async () => {
    expect(await errorOf(start({ KeyType: 'CUSTOMER_MANAGED_CMK' }))).toBeInstanceOf(InvalidArgumentException);
    const key = await newKey();
    expect(await errorOf(start({ KeyType: 'AWS_OWNED_CMK', KeyARN: key }))).toBeInstanceOf(InvalidArgumentException);
    expect((await encryption()).Status).toBe('DISABLED');
  });

  it('rule "KeyARN ... a KMS key ARN; newer models reject alias ARNs": others are a ValidationException', async () => {
    for (const arn of [`arn:aws:kms:us-east-1:${ACCOUNT}:alias/sse`, 'not-an-arn', `arn:aws:kms:us-east-1:12345:key/abc`]) {
      const error = await errorOf(start({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: arn }));
      expect(error.name, arn).toBe('ValidationException');
    }
  });

  it('ResourceInUse while the stream is CREATING or its encryption is ENABLING or DISABLING', async () => {
    await h.close();
    h = await startHarness({ timings: { creatingMs: 1_000, enablingMs: ENABLING_MS, disablingMs: 1_000 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    expect(await errorOf(start({ KeyType: 'AWS_OWNED_CMK' }))).toBeInstanceOf(ResourceInUseException);
    h.clock.advance(1_000);

    await start({ KeyType: 'AWS_OWNED_CMK' });
    expect(await errorOf(start({ KeyType: 'AWS_OWNED_CMK' }))).toBeInstanceOf(ResourceInUseException);
    expect(await errorOf(h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' })))).toBeInstanceOf(
      ResourceInUseException,
    );
    h.clock.advance(ENABLING_MS);
    await h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    expect(await errorOf(start({ KeyType: 'AWS_OWNED_CMK' }))).toBeInstanceOf(ResourceInUseException);
  });

  it('a stream created with SSE is ENABLING while CREATING and ENABLED once ACTIVE', async () => {
    await h.close();
    h = await startHarness({ timings: { creatingMs: 2_000 } });
    await h.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'born-encrypted',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        ...S3_DESTINATION,
      }),
    );
    expect((await encryption('born-encrypted')).Status).toBe('ENABLING');
    h.clock.advance(2_000);
    expect((await encryption('born-encrypted')).Status).toBe('ENABLED');
  });
});
