import { StartDeliveryStreamEncryptionCommand, StopDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ENCRYPTION_CALLS_PER_WINDOW } from '../../functions/domain/firehose-facts.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { expectSchemaValid, useScenario } from '../support/local-account.ts';

const HOUR = 3_600_000;
const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describe('workflow: the 25-call budget', () => {
  const s = useScenario();
  beforeEach(() => s.createStream('orders'));

  const deferred = () =>
    s.account.events.ofKind('remediationDeferred')[0]?.detail as unknown as { reason: string; nextAttemptAt?: string } | undefined;
  const spendOurs = async (n: number, at: number) => {
    for (let i = 0; i < n; i += 1)
      await s.account.deps.ledger.reserve(ref, { id: `old-${i}`, at: at + i, by: 'remediator', operation: 'Start' }, 20);
  };

  it('a spent share ends DEFERRED with the time of the next available call, and no Start call', async () => {
    const now = s.account.clock.now();
    await spendOurs(20, now - HOUR);

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'BUDGET_SPENT', callsSpent: 0 });
    expect(deferred()?.nextAttemptAt).toBe(new Date(now - HOUR + 24 * HOUR).toISOString());
    expect(s.acceptedStarts('orders')).toBe(0);
    expectSchemaValid(s.account.events.events);
  });

  it('waits (a TimestampPath wait) when the next call is within the horizon, then succeeds', async () => {
    const now = s.account.clock.now();
    await spendOurs(20, now - 24 * HOUR + 20 * 60_000); // the oldest ages out in 20 minutes

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(report.states.slice(0, 6)).toEqual(['Inspect', 'RouteAfterInspect', 'Enable', 'RouteAfterEnable', 'WaitBudget', 'Inspect']);
    expect(s.account.clock.now()).toBeGreaterThan(now + 20 * 60_000);
    expect(s.acceptedStarts('orders')).toBe(1);
  });

  it('never makes a 26th call: 25 calls by people in the ledger defer us even with our share unspent', async () => {
    const now = s.account.clock.now();
    for (let i = 0; i < ENCRYPTION_CALLS_PER_WINDOW; i += 1) {
      await s.account.deps.ledger.record(
        ref,
        { id: `event-${i}`, at: now - HOUR + i, by: 'other', operation: i % 2 ? 'Stop' : 'Start' },
        now,
      );
    }
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'BUDGET_SPENT', callsSpent: 0 });
    expect(report.firehoseCalls.StartDeliveryStreamEncryption).toBeUndefined();
  });

  it('when Firehose knows of calls the ledger has not seen yet, its refusal defers the stream and is not retried', async () => {
    for (let i = 0; i < ENCRYPTION_CALLS_PER_WINDOW; i += 1) {
      const Command = i % 2 === 0 ? StopDeliveryStreamEncryptionCommand : StartDeliveryStreamEncryptionCommand; // 13 Stops, 12 Starts: ends DISABLED
      await s.person.send(
        new Command({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }),
      );
      s.account.clock.advance(5_000);
    }
    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'BUDGET_SPENT' });
    expect(report.firehoseCalls.StartDeliveryStreamEncryption).toBe(1);
    expect(s.account.emulator.emulator.firehose.stream('orders').encryptionCalls).toHaveLength(ENCRYPTION_CALLS_PER_WINDOW);
  });

  it('warns when the remediator is low on calls for a stream', async () => {
    await spendOurs(15, s.account.clock.now() - HOUR);
    await s.remediate('orders');
    expect(s.account.events.ofKind('budgetLow')[0]?.detail).toMatchObject({ remainingOurs: 4, threshold: 5 });
    expectSchemaValid(s.account.events.events);
  });
});
