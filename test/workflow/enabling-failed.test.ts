import { DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { expectSchemaValid, useScenario, type Scenario } from '../support/local-account.ts';

const MISSING_KEY = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';

describe('workflow: ENABLING_FAILED and keys that cannot work', () => {
  const s = useScenario();

  const failed = () => s.account.events.ofKind('remediationFailed')[0]?.detail as unknown as Record<string, unknown> | undefined;

  it('ENABLING_FAILED once (a transient grant failure), then success: two Start calls, backoff between them', async () => {
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNextEnablement(1, {
      type: 'CREATE_KMS_GRANT_FAILED',
      details: 'credentials older than 6 hours',
    });

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 2, attempts: 2 });
    expect(s.acceptedStarts('orders')).toBe(2);
    expect(report.states).toContain('WaitRetry');
    expect(s.eventKinds().filter((k) => k === 'remediationStarted')).toHaveLength(2);
  });

  it('a transient failure every time ends FAILED (ATTEMPTS_EXHAUSTED) after maxAttempts Start calls', async () => {
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNextEnablement(10, { type: 'UNKNOWN_ERROR' });
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'ATTEMPTS_EXHAUSTED', callsSpent: 3 });
    expect(s.acceptedStarts('orders')).toBe(s.account.deps.settings.maxAttempts);
  });

  it.each([
    ['missing', async () => MISSING_KEY, 'KMS_KEY_NOT_FOUND'],
    [
      'disabled',
      async (sc: Scenario) => {
        const k = await sc.createKey();
        await sc.kms.send(new DisableKeyCommand({ KeyId: k }));
        return k;
      },
      'DISABLED_KMS_KEY',
    ],
    [
      'pending deletion',
      async (sc: Scenario) => {
        const k = await sc.createKey();
        await sc.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k, PendingWindowInDays: 7 }));
        return k;
      },
      'INVALID_KMS_KEY',
    ],
    ['asymmetric', async (sc: Scenario) => sc.createKey('RSA_2048'), 'INVALID_KMS_KEY'],
    [
      'denying Firehose in its policy',
      async (sc: Scenario) => {
        const k = await sc.createKey();
        sc.account.emulator.emulator.kms.denyFirehose(k);
        return k;
      },
      'KMS_ACCESS_DENIED',
    ],
  ])('a %s key ends FAILED (KEY_PROBLEM, %s) without spending a call: the pre-flight finds it', async (_case, makeKey, failureType) => {
    const key = await makeKey(s);
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key] } });
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'KEY_PROBLEM', callsSpent: 0 });
    expect(failed()).toMatchObject({ failureType });
    expect(s.acceptedStarts('orders')).toBe(0);
    expectSchemaValid(s.account.events.events);
  });

  it('a doomed key the pre-flight cannot inspect spends exactly one call, then ends FAILED', async () => {
    const key = await s.createKey();
    await s.kms.send(new DisableKeyCommand({ KeyId: key }));
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key] } });
    s.account.emulator.emulator.faults.failNext('DescribeKey', 5, { type: 'AccessDeniedException', message: 'no kms:DescribeKey' });
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'KEY_PROBLEM', callsSpent: 1 });
    expect(failed()).toMatchObject({ failureType: 'DISABLED_KMS_KEY' });
    expect(s.acceptedStarts('orders')).toBe(1);
  });

  it('falls back to the next approved key, then to the AWS owned key where the policy allows it', async () => {
    const disabled = await s.createKey();
    await s.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [disabled, MISSING_KEY], fallbackToAwsOwned: true } });
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(s.account.emulator.emulator.firehose.stream('orders').encryption.key).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(s.account.events.ofKind('remediationSucceeded')[0]?.detail).toMatchObject({
      viaFallback: true,
      key: { keyType: 'AWS_OWNED_CMK' },
    });
  });

  it('a failed key change reports that the stream is still encrypted with the old key', async () => {
    const newKey = await s.createKey();
    await s.createStream('payments', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [newKey] } });
    // The key is fine at the pre-flight; Firehose's grant on it then fails for good.
    s.account.emulator.emulator.faults.failNextEnablement(1, { type: 'KMS_ACCESS_DENIED', details: 'grant denied' });

    const report = await s.remediate('payments', 'sweep');

    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'KEY_PROBLEM', callsSpent: 1 });
    expect(failed()).toMatchObject({ failureType: 'KMS_ACCESS_DENIED', stillEncryptedWith: { keyType: 'AWS_OWNED_CMK' } });
    // "If ... you get ENABLING_FAILED, this only means that the attempt to change the CMK failed. In this case, encryption remains enabled with the old CMK."
    const stream = s.account.emulator.emulator.firehose.stream('payments');
    expect(stream.encryption.status).toBe('ENABLING_FAILED');
    expect(stream.encryption.effectiveKey).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });

  it('a VPC/ENI configuration failure ends FAILED (CONFIGURATION) without retrying', async () => {
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNextEnablement(1, { type: 'SUBNET_NOT_FOUND' });
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'CONFIGURATION', callsSpent: 1 });
  });
});
