import { StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { expectSchemaValid, useScenarios } from '../support/local-account.ts';

const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describe('workflow: waits, retries and bounds', () => {
  const freshScenario = useScenarios();

  it('waits out ResourceInUse: a CREATING stream is looked at again until ACTIVE, then remediated', async () => {
    const s = await freshScenario({ emulator: { timings: { creatingMs: 45_000, enablingMs: 3_000 } } });
    await s.createStream('orders');
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(report.states.filter((n) => n === 'WaitBusy')).toHaveLength(2);
  });

  it('waits out throttling: a rate-limited Start is retried by the state machine, on the same reservation', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    s.account.emulator.emulator.faults.failNext('StartDeliveryStreamEncryption', 2, {
      type: 'LimitExceededException',
      message: 'Rate exceeded',
    });

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(report.lambdaInvocations.enable).toBe(3);
    expect(s.acceptedStarts('orders')).toBe(1);
    expect((await s.account.deps.ledger.status(ref, s.account.clock.now(), 20)).ours).toBe(1);
  });

  it('a stream that never settles ends DEFERRED (STREAM_BUSY) after the bounded number of waits', async () => {
    const s = await freshScenario({
      emulator: { timings: { creatingMs: 0, enablingMs: 365 * 86_400_000 } },
      settings: { maxBusyWaits: 4 },
    });
    await s.createStream('orders');
    await s.person.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'STREAM_BUSY', callsSpent: 0 });
    expect(report.states.filter((n) => n === 'WaitBusy')).toHaveLength(4);
  });

  it('encryption that stays ENABLING ends FAILED after the bounded number of polls', async () => {
    const s = await freshScenario({ emulator: { timings: { creatingMs: 0, enablingMs: 365 * 86_400_000 } }, settings: { maxPolls: 5 } });
    await s.createStream('orders');
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'ATTEMPTS_EXHAUSTED', callsSpent: 1 });
    expect(report.lambdaInvocations.check).toBe(5);
  });

  it('an unexpected task error is caught and concluded: FAILED (UNEXPECTED), published, lease released', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    await s.account.deps.leases.acquire(ref, 'exec-unexpected', s.account.clock.now(), 60_000);
    s.account.deps.ledger.reserve = async () => {
      throw new Error('disk on fire');
    };

    const report = await s.account.runner.run('exec-unexpected', { stream: ref, trigger: 'manual', correlationId: 'exec-unexpected' });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.output).toMatchObject({ status: 'FAILED', reason: 'UNEXPECTED' });
    expect(s.account.events.ofKind('remediationFailed')[0]?.detail).toMatchObject({ details: expect.stringContaining('disk on fire') });
    expect(await s.account.deps.leases.acquire(ref, 'someone-else', s.account.clock.now(), 60_000)).toMatchObject({
      owner: 'someone-else',
    });
    expectSchemaValid(s.account.events.events);
  });

  it('when the outcome cannot be published after retries, the execution fails visibly (ConcludeFailed)', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    s.account.deps.publisher.publish = async () => {
      const { EventPublishError } = await import('../../functions/domain/errors.ts');
      throw new EventPublishError('bus unavailable', []);
    };
    const report = await s.remediate('orders', 'manual');
    expect(report.status).toBe('FAILED');
    expect(report.states.at(-1)).toBe('ConcludeFailed');
  });

  it('refuses a malformed workflow input before any AWS call', async () => {
    const s = await freshScenario();
    const report = await s.account.runner.run('exec-bad', {
      stream: { account: '123456789012', region: 'us-east-1', name: 'bad name' },
      trigger: 'manual',
      correlationId: 'exec-bad',
    });
    expect(report.output).toBeUndefined();
    expect(report.status).toBe('FAILED');
    expect(report.firehoseCalls).toEqual({});
  });
});
