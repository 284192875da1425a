import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventPublishError } from '../../../functions/domain/errors.ts';
import type { GuardEvent } from '../../../functions/domain/events.ts';
import { ENCRYPTION_CALL_WINDOW_MS } from '../../../functions/domain/firehose-facts.ts';
import { CONFIG_ITEM_IGNORED, takeIn, type IntakeDeps } from '../../../functions/domain/intake/intake.ts';
import { parseIntakeEvent, scheduledRetryEvent, type IntakeEvent } from '../../../functions/domain/intake/intake-event.ts';
import { parsePolicy } from '../../../functions/domain/policy.ts';
import type { WorkflowInput } from '../../../functions/domain/remediation/state.ts';
import { memoryStores } from '../../../local/memory-stores.ts';

const APPROVED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';
const T0 = Date.UTC(2026, 10, 1);
let counter = 0;

describe('intake', () => {
  let deps: IntakeDeps;
  let published: GuardEvent[];
  let started: { name: string; input: WorkflowInput }[];
  let startResult: () => Promise<{ started: boolean }>;

  beforeAll(() => {
    const { ledger, states, leases } = memoryStores();
    deps = {
      ledger,
      states,
      leases,
      starter: { start: async (name, input) => (started.push({ name, input }), startResult()) },
      publisher: { publish: async (events) => void published.push(...events) },
      clock: { now: () => T0 },
      policy: parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [APPROVED] } }),
      remediatorRoleArns: ['arn:aws:iam::123456789012:role/guard-enable'],
      leaseSeconds: 3600,
      scope: { accounts: ['123456789012'], regions: ['us-east-1'] },
    };
  });
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

  it("a person's Start with an approved key is recorded and looked at again, without a drift event", async () => {
    const event = startBy(APPROVED);
    expect(await takeIn(event, deps)).toMatchObject({ action: 'started', trigger: 'encryption-started-by-other' });
    expect(published).toEqual([]);
    expect(await deps.ledger.calls(event.ref, T0)).toEqual([
      expect.objectContaining({ by: 'other', operation: 'Start', principal: 'arn:aws:iam::123456789012:user/bob' }),
    ]);
  });

  it("a person's Start with a key the policy does not accept is drift", async () => {
    await takeIn(startBy(OTHER), deps);
    expect(published.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        kind: 'driftDetected',
        eventName: 'StartDeliveryStreamEncryption',
        key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER },
        calledAt: new Date(T0).toISOString(),
        version: '2',
      }),
    ]);
  });

  it('an execution name that already ran gives the lease back, so the next event can start one', async () => {
    const event = startBy(APPROVED);
    startResult = async () => ({ started: false });
    expect(await takeIn(event, deps)).toMatchObject({ action: 'ignored' });
    startResult = async () => ({ started: true });
    expect(await takeIn({ ...event, eventId: 'another-event' }, deps)).toMatchObject({ action: 'started' });
  });

  it("a failing StartExecution gives the lease back and fails the invocation (for Lambda's retry)", async () => {
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
    const event: IntakeEvent = {
      kind: 'config',
      change: 'compliance',
      ref: { account: '123456789012', region: 'us-east-1', name: 'x' },
      eventId: 'c',
      eventTime: T0,
      rule: 'kinesis-firehose-delivery-stream-encrypted',
      compliance: 'COMPLIANT',
    };
    expect(await takeIn(event, deps)).toEqual({
      action: 'ignored',
      reason: 'Config rule kinesis-firehose-delivery-stream-encrypted says COMPLIANT',
    });
    expect(started).toEqual([]);
  });

  it('a NON_COMPLIANT compliance change starts a workflow (config-change)', async () => {
    counter += 1;
    const event: IntakeEvent = {
      kind: 'config',
      change: 'compliance',
      ref: { account: '123456789012', region: 'us-east-1', name: `c-${counter}` },
      eventId: `c-${counter}`,
      eventTime: T0,
      rule: 'kinesis-firehose-delivery-stream-encrypted',
      compliance: 'NON_COMPLIANT',
    };
    expect(await takeIn(event, deps)).toMatchObject({ action: 'started', trigger: 'config-change' });
  });

  it('#7: "Config configuration-item changes caused by our own Start are not loop-guarded": a configuration item (it names no actor) starts nothing', async () => {
    counter += 1;
    const item: IntakeEvent = {
      kind: 'config',
      change: 'item',
      ref: { account: '123456789012', region: 'us-east-1', name: `i-${counter}` },
      eventId: `i-${counter}`,
      eventTime: T0,
    };
    expect(await takeIn(item, deps)).toEqual({ action: 'ignored', reason: CONFIG_ITEM_IGNORED });
    expect(started).toEqual([]);
  });
});

describe('intake: drift, old events and scheduled retries', () => {
  let base: Omit<IntakeDeps, 'starter' | 'publisher'>;

  beforeAll(() => {
    const { ledger, states, leases } = memoryStores();
    base = {
      ledger,
      states,
      leases,
      clock: { now: () => T0 },
      policy: parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [APPROVED] } }),
      remediatorRoleArns: ['arn:aws:iam::123456789012:role/guard-enable'],
      leaseSeconds: 3600,
      scope: { accounts: ['123456789012'], regions: ['us-east-1'] },
    };
  });

  /** Step Functions' StartExecution: one execution per name; a running name started again is the same execution. */
  const stepFunctions = () => {
    const executions = new Map<string, WorkflowInput>();
    return {
      executions,
      start: async (name: string, input: WorkflowInput) => (executions.set(name, executions.get(name) ?? input), { started: true }),
    };
  };
  /** EventBridge refusing the first `refusals` PutEvents. */
  const eventBridge = (refusals: number) => {
    const published: GuardEvent[] = [];
    return {
      published,
      publish: async (events: readonly GuardEvent[]) => {
        if (refusals-- > 0)
          throw new EventPublishError('PutEvents: 1 of 1 entries failed', [
            { detailType: 'Encryption Drift Detected', errorCode: 'InternalFailure' },
          ]);
        published.push(...events);
      },
    };
  };
  const stopBy = (name: string, eventTime = T0): Extract<IntakeEvent, { kind: 'api-call' }> => ({
    kind: 'api-call',
    eventName: 'StopDeliveryStreamEncryption',
    ref: { account: '123456789012', region: 'us-east-1', name },
    eventId: `stop-${name}`,
    eventTime,
    requestId: `req-${name}`,
    actor: 'arn:aws:iam::123456789012:user/mallory',
  });

  it('#13 "If EventBridge refuses the drift event, the Stop never starts a workflow": the workflow starts first, the invocation fails after it, and the redelivery publishes the drift', async () => {
    const starter = stepFunctions();
    const publisher = eventBridge(1);
    const deps: IntakeDeps = { ...base, starter, publisher };
    const stop = stopBy('drift-1');

    await expect(takeIn(stop, deps)).rejects.toThrow(EventPublishError);
    expect([...starter.executions.values()].map((i) => i.trigger)).toEqual(['encryption-stopped']);
    expect(publisher.published).toEqual([]);

    // Lambda delivers the event again: the same execution name (Step Functions starts nothing new), the drift published.
    expect(await takeIn(stop, deps)).toMatchObject({ action: 'started', trigger: 'encryption-stopped' });
    expect(starter.executions.size).toBe(1);
    expect(publisher.published.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        kind: 'driftDetected',
        eventName: 'StopDeliveryStreamEncryption',
        actor: 'arn:aws:iam::123456789012:user/mallory',
      }),
    ]);
    expect(await base.ledger.calls(stop.ref, T0)).toHaveLength(1);
  });

  it('#13 for a Start with a key the policy does not accept: started before the drift is published', async () => {
    const starter = stepFunctions();
    const publisher = eventBridge(1);
    const deps: IntakeDeps = { ...base, starter, publisher };
    const start: IntakeEvent = {
      ...stopBy('drift-2'),
      eventName: 'StartDeliveryStreamEncryption',
      eventId: 'start-drift-2',
      requestedKey: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER },
    };

    await expect(takeIn(start, deps)).rejects.toThrow(EventPublishError);
    expect(starter.executions.size).toBe(1);
    await takeIn(start, deps);
    expect(starter.executions.size).toBe(1);
    expect(publisher.published.map((e) => e.detail.kind)).toEqual(['driftDetected']);
  });

  it('#17: a Stop older than the 24-hour window still gets a look, but cannot change the ledger', async () => {
    const deps: IntakeDeps = { ...base, starter: stepFunctions(), publisher: eventBridge(0) };
    const old = stopBy('old-1', T0 - ENCRYPTION_CALL_WINDOW_MS - 1);
    expect(await takeIn(old, deps)).toMatchObject({ action: 'started', trigger: 'encryption-stopped' });
    expect(await base.ledger.calls(old.ref, T0)).toEqual([]);
  });

  it("#17: a Stop dated in year 9999 never reaches the ledger: the intake's parser refuses it", () => {
    const event = {
      source: 'aws.firehose',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventName: 'StopDeliveryStreamEncryption',
        eventID: 'e-9999',
        eventTime: '9999-01-01T00:00:00Z',
        awsRegion: 'us-east-1',
        recipientAccountId: '123456789012',
        requestParameters: { deliveryStreamName: 'future' },
      },
    };
    expect(() => parseIntakeEvent(event, T0)).toThrow("ahead of the intake's clock");
  });

  it('a scheduled retry starts the workflow with trigger scheduled-retry, named after the event id, once however often it is delivered', async () => {
    const starter = stepFunctions();
    const deps: IntakeDeps = { ...base, starter, publisher: eventBridge(0) };
    const ref = { account: '123456789012', region: 'us-east-1', name: 'deferred-1' };
    const event = parseIntakeEvent(scheduledRetryEvent(ref, 'BUDGET_SPENT', T0, 'retry-deferred-1'), T0);

    const first = await takeIn(event, deps);
    expect(first).toMatchObject({ action: 'started', trigger: 'scheduled-retry' });
    expect(await takeIn(event, deps)).toEqual(first);
    expect([...starter.executions.entries()]).toEqual([
      [
        expect.stringMatching(/^deferred-1-r[0-9a-f]{14}$/),
        { stream: ref, trigger: 'scheduled-retry', correlationId: expect.any(String), detectedAt: T0 },
      ],
    ]);
  });
});
