import { goTo, startState, type RemediationState } from '../../functions/domain/remediation/state.ts';

/** Fixtures of the remediation state's readers (test/unit/domain/state*.test.ts). */
export const T0 = Date.parse('2026-11-01T10:00:00Z');
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export const workflowInput = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  stream: { account: '123456789012', region: 'eu-west-1', name: 'orders' },
  trigger: 'encryption-stopped',
  detectedAt: T0,
  correlationId: 'orders-c1',
  ...fields,
});

/** What a task's output looks like to the next task: JSON, as Step Functions carries it. */
export const overTheWire = (state: RemediationState): unknown => JSON.parse(JSON.stringify(state));

/** A state as the tasks leave it mid-way: inspected, a Start made, waiting for a far pacing slot before Check. */
export function stateWaitingForSlot(): RemediationState {
  const started = startState(workflowInput());
  const inspected: RemediationState = {
    ...started,
    counters: { inspections: 1, busyWaits: 0, budgetWaits: 0, attempts: 1, polls: 0, callsSpent: 1 },
    initial: { verdict: 'REMEDIATE', reason: 'ENCRYPTION_DISABLED', encryption: { status: 'DISABLED' } },
    target: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN },
    reason: 'ENCRYPTION_DISABLED',
    reservationId: 'r-1',
    budgetRemaining: { ours: 4, total: 24 },
    budgetLow: { remainingOurs: 1, remainingTotal: 20, nextAvailableAt: T0 + 3_600_000 },
    leaseGeneration: 3,
    startedAt: T0 + 1_000,
    firstLookAfterMs: 12_000,
    lookDueAt: T0 + 13_000,
  };
  const polling = goTo(inspected, 'POLL', { seconds: 12 });
  return goTo(
    {
      ...polling,
      slots: { DescribeDeliveryStream: T0 + 40_000, StartDeliveryStreamEncryption: T0 + 1_000 },
      resume: 'CHECK',
      slotWaitedMs: 27_000.5,
      throttleWaits: 2,
    },
    'WAIT_SLOT',
    { until: T0 + 40_000 },
  );
}

export const withStream = (fields: Record<string, unknown>) =>
  workflowInput({ stream: { account: '123456789012', region: 'eu-west-1', name: 'orders', ...fields } });
