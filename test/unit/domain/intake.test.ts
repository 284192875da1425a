import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoBudgetLedger } from '../../../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../../../functions/adapters/dynamo/lease-store.ts';
import { DynamoStreamStateStore } from '../../../functions/adapters/dynamo/stream-state-store.ts';
import type { GuardEvent } from '../../../functions/domain/events.ts';
import { takeIn, type IntakeDeps } from '../../../functions/domain/intake/intake.ts';
import type { IntakeEvent } from '../../../functions/domain/intake/intake-event.ts';
import { parsePolicy } from '../../../functions/domain/policy.ts';
import type { WorkflowInput } from '../../../functions/domain/remediation/state.ts';
import { createStateTable, startDynalite } from '../../support/dynamo.ts';

const APPROVED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';
const T0 = Date.UTC(2026, 10, 1);
let counter = 0;

describe('intake', () => {
  let close: () => Promise<void>;
  let deps: IntakeDeps;
  let published: GuardEvent[];
  let started: { name: string; input: WorkflowInput }[];
  let startResult: () => Promise<{ started: boolean }>;

  beforeAll(async () => {
    const dynalite = await startDynalite();
    const table = await createStateTable(dynalite.endpoint, 'intake');
    close = dynalite.close;
    deps = {
      ledger: new DynamoBudgetLedger(table),
      states: new DynamoStreamStateStore(table),
      leases: new DynamoLeaseStore(table),
      starter: { start: async (name, input) => (started.push({ name, input }), startResult()) },
      publisher: { publish: async (events) => void published.push(...events) },
      clock: { now: () => T0 },
      policy: parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [APPROVED] } }),
      remediatorRoleArns: ['arn:aws:iam::123456789012:role/guard-enable'],
      leaseSeconds: 3600,
    };
  });
  afterAll(() => close());
  beforeEach(() => {
    published = [];
    started = [];
    startResult = async () => ({ started: true });
  });

  const startBy = (keyArn: string | undefined): IntakeEvent => {
    counter += 1;
    return {
      kind: 'api-call',
      eventName: 'StartDeliveryStreamEncryption',
      ref: { account: '123456789012', region: 'us-east-1', name: `s-${counter}` },
      eventId: `e-${counter}`,
      eventTime: T0,
      actor: 'arn:aws:iam::123456789012:user/bob',
      requestedKey: keyArn ? { keyType: 'CUSTOMER_MANAGED_CMK', keyArn } : { keyType: 'AWS_OWNED_CMK' },
    };
  };

  it('a person\'s Start with an approved key is recorded and looked at again, without a drift event', async () => {
    const event = startBy(APPROVED);
    expect(await takeIn(event, deps)).toMatchObject({ action: 'started', trigger: 'encryption-started-by-other' });
    expect(published).toEqual([]);
    expect(await deps.ledger.calls(event.ref, T0)).toEqual([expect.objectContaining({ by: 'other', operation: 'Start', principal: 'arn:aws:iam::123456789012:user/bob' })]);
  });

  it('a person\'s Start with a key the policy does not accept is drift', async () => {
    await takeIn(startBy(OTHER), deps);
    expect(published.map((e) => e.detail)).toEqual([expect.objectContaining({ kind: 'driftDetected', eventName: 'StartDeliveryStreamEncryption', requestedKey: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER } })]);
  });

  it('an execution name that already ran gives the lease back, so the next event can start one', async () => {
    const event = startBy(APPROVED);
    startResult = async () => ({ started: false });
    expect(await takeIn(event, deps)).toMatchObject({ action: 'ignored' });
    startResult = async () => ({ started: true });
    expect(await takeIn({ ...event, eventId: 'another-event' }, deps)).toMatchObject({ action: 'started' });
  });

  it('a failing StartExecution gives the lease back and fails the invocation (for Lambda\'s retry)', async () => {
    const event = startBy(APPROVED);
    startResult = async () => {
      throw new Error('states unavailable');
    };
    await expect(takeIn(event, deps)).rejects.toThrow('states unavailable');
    startResult = async () => ({ started: true });
    expect(await takeIn(event, deps)).toMatchObject({ action: 'started' });
  });

  it('an event for a stream whose workflow runs is not a second execution', async () => {
    const first = startBy(APPROVED);
    await takeIn(first, deps);
    expect(await takeIn({ ...first, eventId: 'later-event' }, deps)).toMatchObject({ action: 'already-running' });
    expect(started).toHaveLength(1);
  });

  it('ignores Config changes that are not NON_COMPLIANT', async () => {
    expect(await takeIn({ kind: 'config', ref: { account: '123456789012', region: 'us-east-1', name: 'x' }, eventId: 'c', eventTime: T0, compliance: 'COMPLIANT' }, deps)).toEqual({
      action: 'ignored',
      reason: 'Config says COMPLIANT',
    });
  });
});
