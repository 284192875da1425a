import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStreamNameError, MalformedEventError } from '../../../functions/domain/errors.ts';
import { DEFERRED_REASONS, FAILED_REASONS, TRIGGERS } from '../../../functions/domain/events.ts';
import { ENCRYPTION_STATUSES, KEY_TYPES } from '../../../functions/domain/firehose-facts.ts';
import {
  concludableState,
  continueState,
  startState,
  type Phase,
  type RemediationState,
} from '../../../functions/domain/remediation/state.ts';
import { refusalOf } from '../../support/refusal.ts';
import { KEY_ARN, overTheWire, stateWaitingForSlot, withStream, workflowInput } from '../../support/state-fixtures.ts';

describe('concludableState: what Conclude reads, a Catch after the very first Inspect included', () => {
  const caught = { Error: 'InvalidConfigurationError', Cause: '{"errorMessage":"no key"}' };

  it('concludes a workflow input the Catch added an error to: the initial state with that error', () => {
    expect(concludableState({ ...workflowInput(), error: caught })).toStrictEqual({ ...startState(workflowInput()), error: caught });
  });

  it('keeps a JSON input with no detectedAt concludable (NaN), and an error with neither Error nor Cause', () => {
    const { detectedAt: _none, ...input } = workflowInput();
    const state = concludableState(JSON.parse(JSON.stringify({ ...input, error: {} })));
    expect(state.detectedAt).toBeNaN();
    expect(state.error).toStrictEqual({});
    expect(state.phase).toBe('INSPECT');
  });

  it('reads a full state with a Catch error as that state, keeping its counters and outcome', () => {
    const state = { ...stateWaitingForSlot(), error: caught };
    expect(concludableState(overTheWire(state))).toStrictEqual(state);
  });

  it('refuses a task state it cannot read, even with a Catch error: never a fresh state that forgets the calls spent', () => {
    const state = { ...stateWaitingForSlot(), slotWaitedMs: null, error: caught };
    const error = refusalOf(() => concludableState(overTheWire(state as never)));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems).toEqual(['slotWaitedMs must be a number, got null']);
  });

  it('refuses a workflow input that carries no error, with the reason it is no state', () => {
    const error = refusalOf(() => concludableState(workflowInput()));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems).toEqual([
      'phase must be one of "INSPECT", "WAIT_BUSY", "ENABLE", "WAIT_RETRY", "WAIT_BUDGET", "POLL", "SETTLE", "WAIT_SLOT", "CONCLUDE", got undefined',
      'counters must be an object, got undefined',
      'unusableKeys must be an array, got undefined',
    ]);
  });

  it('refuses an error that is not the Catch error object, with the reason it is no state', () => {
    const error = refusalOf(() => concludableState({ ...workflowInput(), error: 'boom' }));
    expect(error.message).toMatch(/^task input is not a remediation state: /);
    expect(error.problems).toContain('error must be an object, got "boom"');
  });

  it('refuses a Catch input whose workflow input is malformed, naming the field of the workflow input', () => {
    const error = refusalOf(() => concludableState({ ...workflowInput({ trigger: 'whim' }), error: caught }));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toMatch(/^workflow input: trigger must be one of /);
    const badStream = refusalOf(() => concludableState({ ...withStream({ name: '' }), error: caught }));
    expect(badStream).toBeInstanceOf(InvalidStreamNameError);
  });
});

describe('property: every state of the model survives the trip through JSON', () => {
  // JSON.parse makes objects with Object.prototype, and toStrictEqual compares prototypes too.
  const plain = { noNullPrototype: true };
  const epochMs = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) });
  const count = fc.nat({ max: 10_000 });
  const text = fc.string({ maxLength: 12 });
  const keyArn = fc.constantFrom(KEY_ARN, 'arn:aws:kms:us-east-1:210987654321:key/mrk-1234abcd12ab34cd56ef1234567890ab');
  const key = fc.record({ keyType: fc.constantFrom(...KEY_TYPES), keyArn }, { requiredKeys: ['keyType'], noNullPrototype: true });
  const targetKey = fc.oneof(
    fc.record({ keyType: fc.constant('AWS_OWNED_CMK' as const) }, plain),
    fc.record({ keyType: fc.constant('CUSTOMER_MANAGED_CMK' as const), keyArn }, plain),
  );
  const accepted = { keyType: fc.constantFrom(...KEY_TYPES), keyArn, viaFallback: fc.boolean() };
  const outcome = fc.oneof(
    fc.record(
      { status: fc.constant('COMPLIANT' as const), ...accepted, keyChangeFailed: fc.record({ failureType: text, details: text }, plain) },
      {
        requiredKeys: ['status', 'keyType', 'viaFallback'],
        noNullPrototype: true,
      },
    ),
    fc.record(
      { status: fc.constant('REMEDIATED' as const), ...accepted, protectedAt: epochMs },
      {
        requiredKeys: ['status', 'keyType', 'viaFallback', 'protectedAt'],
        noNullPrototype: true,
      },
    ),
    fc.record(
      { status: fc.constantFrom('NOT_APPLICABLE' as const, 'EXEMPT' as const, 'GONE' as const), reason: text },
      { requiredKeys: ['status'], noNullPrototype: true },
    ),
    fc.record(
      { status: fc.constant('DEFERRED' as const), reason: fc.constantFrom(...DEFERRED_REASONS), details: text, nextAttemptAt: epochMs },
      {
        requiredKeys: ['status', 'reason', 'details'],
        noNullPrototype: true,
      },
    ),
    fc.record(
      {
        status: fc.constant('FAILED' as const),
        reason: fc.constantFrom(...FAILED_REASONS),
        details: text,
        failureType: text,
        stillEncryptedWith: key,
      },
      { requiredKeys: ['status', 'reason', 'details'], noNullPrototype: true },
    ),
  );
  const wait = fc.oneof(
    fc.record({ id: count, seconds: fc.oneof(count, fc.double({ min: 0, max: 1e6, noNaN: true })) }, plain),
    fc.record({ id: count, until: epochMs.map((at) => new Date(at).toISOString()) }, plain),
  );
  const optionalFields = {
    wait,
    initial: fc.record(
      {
        verdict: fc.constantFrom(
          'COMPLIANT' as const,
          'NOT_APPLICABLE' as const,
          'EXEMPT' as const,
          'GONE' as const,
          'BUSY' as const,
          'REMEDIATE' as const,
        ),
        reason: text,
        encryption: fc.record(
          { status: fc.constantFrom(...ENCRYPTION_STATUSES), keyType: fc.constantFrom(...KEY_TYPES), keyArn },
          { requiredKeys: ['status'], noNullPrototype: true },
        ),
      },
      { requiredKeys: ['verdict', 'encryption'], noNullPrototype: true },
    ),
    previousKey: key,
    target: targetKey,
    reason: fc.constantFrom(
      'ENCRYPTION_DISABLED' as const,
      'ENABLING_FAILED' as const,
      'DISABLING_FAILED' as const,
      'KEY_NOT_APPROVED' as const,
    ),
    reservationId: text,
    budgetRemaining: fc.record({ ours: fc.integer({ min: -5, max: 25 }), total: fc.integer({ min: -5, max: 25 }) }, plain),
    budgetLow: fc.record(
      { remainingOurs: count, remainingTotal: count, nextAvailableAt: epochMs },
      { requiredKeys: ['remainingOurs', 'remainingTotal'], noNullPrototype: true },
    ),
    outcome,
    error: fc.record({ Error: text, Cause: text }, { requiredKeys: [], noNullPrototype: true }),
    leaseGeneration: count,
    enabledSeenAt: epochMs,
    rounds: count,
    published: fc.array(text, { maxLength: 4 }),
    slots: fc.record(
      {
        DescribeDeliveryStream: epochMs,
        ListTagsForDeliveryStream: epochMs,
        ListDeliveryStreams: epochMs,
        StartDeliveryStreamEncryption: epochMs,
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
    resume: fc.constantFrom('INSPECT' as const, 'CHECK' as const),
    slotWaitedMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
    throttleWaits: count,
    startedAt: epochMs,
    firstLookAfterMs: fc.integer({ min: 0, max: 600_000 }),
    lookDueAt: epochMs,
  };
  const state: fc.Arbitrary<RemediationState> = fc
    .record(
      {
        stream: fc.record(
          {
            account: fc.stringMatching(/^\d{12}$/),
            region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1'),
            name: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/),
          },
          plain,
        ),
        trigger: fc.constantFrom(...TRIGGERS),
        detectedAt: fc.oneof(epochMs, fc.constant(Number.NaN)),
        correlationId: fc.string({ minLength: 1, maxLength: 80 }),
        phase: fc.constantFrom<Phase>(
          'INSPECT',
          'WAIT_BUSY',
          'ENABLE',
          'WAIT_RETRY',
          'WAIT_BUDGET',
          'POLL',
          'SETTLE',
          'WAIT_SLOT',
          'CONCLUDE',
        ),
        counters: fc.record(
          { inspections: count, busyWaits: count, budgetWaits: count, attempts: count, polls: count, callsSpent: count },
          plain,
        ),
        unusableKeys: fc.array(keyArn, { maxLength: 3 }),
        optional: fc.record(optionalFields, { requiredKeys: [], noNullPrototype: true }),
      },
      plain,
    )
    .map(({ optional, ...required }) => ({ ...required, ...optional }));

  it('continueState(JSON.parse(JSON.stringify(state))) equals the state (NaN read back from null)', () => {
    fc.assert(
      fc.property(state, (generated) => {
        expect(continueState(JSON.parse(JSON.stringify(generated)))).toStrictEqual(generated);
      }),
      { numRuns: 300 },
    );
  });
});
