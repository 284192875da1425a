import { KMSClient } from '@aws-sdk/client-kms';
import { CreateKeyCommand, DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SdkKeyInspector } from '../../../functions/adapters/kms-key-inspector.ts';
import { InvalidKeyArnError, TransientServiceError } from '../../../functions/domain/errors.ts';
import { ACCOUNT, REGION, startHarness, type Harness } from '../../support/emulator-harness.ts';

describe('KMS pre-flight key check against the emulator', () => {
  let h: Harness;
  let inspector: SdkKeyInspector;
  beforeEach(async () => {
    h = await startHarness();
    const client = new KMSClient({
      endpoint: h.running.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'AKIAKMS', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    inspector = new SdkKeyInspector(() => client);
  });
  afterEach(() => h.close());

  const newKey = async (spec: 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'HMAC_256' = 'SYMMETRIC_DEFAULT') => {
    const usage = spec === 'HMAC_256' ? 'GENERATE_VERIFY_MAC' : 'ENCRYPT_DECRYPT';
    return (await h.kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage }))).KeyMetadata!.Arn!;
  };

  it('passes an enabled symmetric key whose policy lets Firehose use it', async () => {
    expect(await inspector.check(await newKey())).toEqual({ usable: true });
  });

  it('finds each doomed key before it can burn a budget call', async () => {
    const disabled = await newKey();
    await h.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    const deleting = await newKey();
    await h.kms.send(new ScheduleKeyDeletionCommand({ KeyId: deleting, PendingWindowInDays: 7 }));
    const denied = await newKey();
    h.running.emulator.kms.denyFirehose(denied);

    const checks = {
      missing: await inspector.check(`arn:aws:kms:us-east-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`),
      disabled: await inspector.check(disabled),
      deleting: await inspector.check(deleting),
      asymmetric: await inspector.check(await newKey('RSA_2048')),
      hmac: await inspector.check(await newKey('HMAC_256')),
      denied: await inspector.check(denied),
    };

    expect(Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.usable === false ? v.failureType : v.usable]))).toEqual({
      missing: 'KMS_KEY_NOT_FOUND',
      disabled: 'DISABLED_KMS_KEY',
      deleting: 'INVALID_KMS_KEY',
      asymmetric: 'INVALID_KMS_KEY',
      hmac: 'INVALID_KMS_KEY',
      denied: 'KMS_ACCESS_DENIED',
    });
    expect(h.running.emulator.cloudTrail.events().filter((e) => e.source === 'aws.firehose')).toHaveLength(0);
  });

  it('says "unknown" when the check itself is denied, and lets Firehose judge', async () => {
    const key = await newKey();
    h.running.emulator.faults.failNext('DescribeKey', 1, { type: 'AccessDeniedException', message: 'not authorized' });
    expect(await inspector.check(key)).toMatchObject({ usable: 'unknown' });
    h.running.emulator.faults.failNext('GetKeyPolicy', 1, { type: 'AccessDeniedException' });
    expect(await inspector.check(key)).toMatchObject({ usable: 'unknown' });
  });

  it('raises TransientServiceError when KMS fails, and refuses alias ARNs before calling KMS', async () => {
    h.running.emulator.faults.failNext('DescribeKey', 1, { type: 'KMSInternalException', statusCode: 500 });
    await expect(inspector.check(await newKey())).rejects.toBeInstanceOf(TransientServiceError);
    const before = h.running.emulator.cloudTrail.size;
    await expect(inspector.check(`arn:aws:kms:us-east-1:${ACCOUNT}:alias/sse`)).rejects.toBeInstanceOf(InvalidKeyArnError);
    expect(h.running.emulator.cloudTrail.size).toBe(before);
  });
});
