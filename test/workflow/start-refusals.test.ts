import { describe, expect, it } from 'vitest';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { useScenarios } from '../support/local-account.ts';

const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describe('workflow: Start refused synchronously', () => {
  const freshScenario = useScenarios();

  it('a key already encrypting 500 streams (here: the limit lowered to 1) defers with KEY_CAPACITY and gives the call back', async () => {
    const s = await freshScenario({ emulator: { timings: { creatingMs: 0, enablingMs: 3_000 }, streamsPerCmk: 1 } });
    const key = await s.createKey();
    await s.createStream('first', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } });
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key] } });
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'KEY_CAPACITY' });
    expect((await s.account.deps.ledger.status(ref, s.account.clock.now(), 20)).ours).toBe(0);
  });

  it('with a fallback, a key at capacity moves on to the AWS owned key', async () => {
    const s = await freshScenario({ emulator: { timings: { creatingMs: 0, enablingMs: 3_000 }, streamsPerCmk: 1 } });
    const key = await s.createKey();
    await s.createStream('first', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } });
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key], fallbackToAwsOwned: true } });
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(s.account.emulator.emulator.firehose.stream('orders').encryption.key).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });

  it('InvalidKMSResourceException on Start is a key problem: FAILED without retrying the key', async () => {
    const s = await freshScenario();
    const key = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key] } });
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNext('StartDeliveryStreamEncryption', 1, {
      type: 'InvalidKMSResourceException',
      message: 'KMS AccessDeniedException',
    });

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'KEY_PROBLEM' });
    expect(report.firehoseCalls.StartDeliveryStreamEncryption).toBe(1);
  });

  it('InvalidArgumentException on Start ends FAILED (INVALID) and gives the reservation back', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNext('StartDeliveryStreamEncryption', 1, { type: 'InvalidArgumentException', message: 'nope' });

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'INVALID' });
    expect((await s.account.deps.ledger.status(ref, s.account.clock.now(), 20)).ours).toBe(0);
  });

  it('a stream that keeps changing under the workflow is re-inspected a bounded number of times', async () => {
    const s = await freshScenario({ settings: { maxInspections: 3 } });
    await s.createStream('orders');
    // Every Start of ours is undone at once by someone else's Stop.
    const emulator = s.account.emulator.emulator;
    emulator.cloudTrail.subscribe((event) => {
      if (event.detail.eventName === 'StartDeliveryStreamEncryption' && !event.detail.errorCode) {
        s.account.clock.advance(3_000);
        queueMicrotask(
          () =>
            void emulator.call('firehose', 'StopDeliveryStreamEncryption', { DeliveryStreamName: 'orders' }, { accessKeyId: 'AKIAPERSON' }),
        );
      }
    });

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'STREAM_BUSY' });
    expect(report.lambdaInvocations.inspect).toBe(4);
  });
});
