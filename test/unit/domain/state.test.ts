import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidStreamNameError, MalformedEventError } from '../../../functions/domain/errors.ts';
import { DEFERRED_REASONS, FAILED_REASONS, TRIGGERS } from '../../../functions/domain/events.ts';
import { ENCRYPTION_STATUSES, KEY_TYPES } from '../../../functions/domain/firehose-facts.ts';
import {
  concludableState,
  conclude,
  continueState,
  goTo,
  settle,
  startState,
  type Phase,
  type RemediationState,
} from '../../../functions/domain/remediation/state.ts';

const T0 = Date.parse('2026-11-01T10:00:00Z');
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const workflowInput = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  stream: { account: '123456789012', region: 'eu-west-1', name: 'orders' },
  trigger: 'encryption-stopped',
  detectedAt: T0,
  correlationId: 'orders-c1',
  ...fields,
});

const withStream = (fields: Record<string, unknown>) =>
  workflowInput({ stream: { account: '123456789012', region: 'eu-west-1', name: 'orders', ...fields } });

/** What a task's output looks like to the next task: JSON, as Step Functions carries it. */
const overTheWire = (state: RemediationState): unknown => JSON.parse(JSON.stringify(state));

/** The error a read throws; fails the test when the read accepts its input. */
function refusalOf(read: () => unknown): InvalidInputError {
  let accepted: unknown;
  try {
    accepted = read();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`expected a refusal, but the input was read as ${JSON.stringify(accepted)}`);
}

/** A state as the tasks leave it mid-way: inspected, a Start made, waiting for a far pacing slot before Check. */
function stateWaitingForSlot(): RemediationState {
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

describe('startState: the workflow input read by its schema', () => {
  it('gives the initial state: INSPECT, every counter at zero, no key found unusable yet', () => {
    expect(startState(workflowInput())).toStrictEqual({
      stream: { account: '123456789012', region: 'eu-west-1', name: 'orders' },
      trigger: 'encryption-stopped',
      detectedAt: T0,
      correlationId: 'orders-c1',
      phase: 'INSPECT',
      counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 0, polls: 0, callsSpent: 0 },
      unusableKeys: [],
    });
  });

  it('starts with detectedAt NaN when the input names no time, and drops fields it does not know', () => {
    const { detectedAt: _none, ...input } = workflowInput();
    const state = startState({ ...input, execution: 'x', stream: { ...(input.stream as object), partition: 'aws-cn' } });
    expect(state.detectedAt).toBeNaN();
    expect(state.stream).toStrictEqual({ account: '123456789012', region: 'eu-west-1', name: 'orders' });
    expect(state).not.toHaveProperty('execution');
  });

  it.each([...TRIGGERS])('accepts the trigger %s', (trigger) => {
    expect(startState(workflowInput({ trigger })).trigger).toBe(trigger);
  });

  it('accepts a correlation id of 1 and of 80 characters (the bounds of an execution name)', () => {
    expect(startState(workflowInput({ correlationId: 'c' })).correlationId).toBe('c');
    expect(startState(workflowInput({ correlationId: 'c'.repeat(80) })).correlationId).toHaveLength(80);
  });

  it.each([
    ['no stream', workflowInput({ stream: undefined }), 'stream must be an object, got undefined'],
    ['a stream that is a string', workflowInput({ stream: 'orders' }), 'stream must be an object, got "orders"'],
    ['no stream name', withStream({ name: undefined }), 'stream.name must be a string, got undefined'],
    ['a stream name that is a number', withStream({ name: 7 }), 'stream.name must be a string, got 7'],
    ['an account that is a number', withStream({ account: 123456789012 }), 'stream.account must be a string, got 123456789012'],
    ['a region that is null', withStream({ region: null }), 'stream.region must be a string, got null'],
    ['no trigger', workflowInput({ trigger: undefined }), 'trigger must be one of "stream-created", '],
    ['an unknown trigger', workflowInput({ trigger: 'whim' }), 'trigger must be one of "stream-created", '],
    [
      'no correlation id',
      workflowInput({ correlationId: undefined }),
      'correlationId must be 1 to 80 characters (the execution name), got undefined',
    ],
    ['a correlation id of 0', workflowInput({ correlationId: 0 }), 'correlationId must be 1 to 80 characters (the execution name), got 0'],
    [
      'an empty correlation id',
      workflowInput({ correlationId: '' }),
      'correlationId must be 1 to 80 characters (the execution name), got ""',
    ],
    [
      'a correlation id of 81 characters',
      workflowInput({ correlationId: 'c'.repeat(81) }),
      `correlationId must be 1 to 80 characters (the execution name), got "${'c'.repeat(81)}"`,
    ],
    [
      'a detectedAt that is a date string',
      workflowInput({ detectedAt: '2026-11-01T10:00:00Z' }),
      'detectedAt must be epoch milliseconds, got "2026-11-01T10:00:00Z"',
    ],
    ['a detectedAt of null', workflowInput({ detectedAt: null }), 'detectedAt must be epoch milliseconds, got null'],
    ['a detectedAt of NaN', workflowInput({ detectedAt: Number.NaN }), 'detectedAt must be epoch milliseconds, got NaN'],
    [
      'a detectedAt of Infinity',
      workflowInput({ detectedAt: Number.POSITIVE_INFINITY }),
      'detectedAt must be epoch milliseconds, got Infinity',
    ],
  ])('refuses %s with a MalformedEventError naming the field', (_case, input, problem) => {
    const error = refusalOf(() => startState(input));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.name).toBe('MalformedEventError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(problem);
    expect(error.message).toBe(`workflow input: ${error.problems[0]}`);
  });

  it('lists the trigger values it accepts when it refuses one', () => {
    expect(refusalOf(() => startState(workflowInput({ trigger: 'whim' }))).message).toBe(
      'workflow input: trigger must be one of "stream-created", "encryption-stopped", "encryption-started-by-other", "config-change", ' +
        '"sweep", "manual", "scheduled-retry", got "whim"',
    );
  });

  it('quotes a huge correlation id by its start and its length only', () => {
    const error = refusalOf(() => startState(workflowInput({ correlationId: 'c'.repeat(200_000) })));
    expect(error.message).toBe(
      `workflow input: correlationId must be 1 to 80 characters (the execution name), got "${'c'.repeat(99)}…" (200002 characters)`,
    );
  });

  it('names every malformed field at once, keeping the schema error as the cause', () => {
    const error = refusalOf(() =>
      startState({ stream: { account: '123456789012', region: 'eu-west-1' }, trigger: 'whim', detectedAt: 'soon' }),
    );
    expect(error.problems.map((problem) => problem.split(' ')[0])).toEqual(['stream.name', 'trigger', 'detectedAt', 'correlationId']);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each([
    ['null', null],
    ['no input', undefined],
    ['a string', 'orders'],
    ['a number', 42],
    ['an array', [workflowInput()]],
  ])('refuses %s, which is not an object', (_case, input) => {
    const error = refusalOf(() => startState(input));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toMatch(/^workflow input: must be an object, got /);
  });

  it.each([
    ['an empty stream name', withStream({ name: '' }), 'invalid Firehose stream name "": expected 1 to 64 characters of [a-zA-Z0-9_.-]'],
    [
      'a stream name with a slash',
      withStream({ name: 'orders/eu' }),
      'invalid Firehose stream name "orders/eu": expected 1 to 64 characters',
    ],
    ['a stream name of 65 characters', withStream({ name: 'o'.repeat(65) }), 'expected 1 to 64 characters of [a-zA-Z0-9_.-]'],
    ['an account of 11 digits', withStream({ account: '12345678901' }), 'invalid account id "12345678901": expected 12 digits'],
    ['a region that is no region', withStream({ region: 'mars' }), 'invalid region "mars"'],
  ])('refuses %s with an InvalidStreamNameError (strings of the right type, checked by stream-ref)', (_case, input, message) => {
    const error = refusalOf(() => startState(input));
    expect(error).toBeInstanceOf(InvalidStreamNameError);
    expect(error.name).toBe('InvalidStreamNameError');
    expect(error.message).toContain(message);
  });
});

describe('continueState: a task reads the state the previous task left', () => {
  it('reads back the state the tasks produce, after JSON, new fields included (slots, resume, WAIT_SLOT, pacing and look times)', () => {
    const waiting = stateWaitingForSlot();
    expect(waiting).toMatchObject({
      phase: 'WAIT_SLOT',
      resume: 'CHECK',
      wait: { id: 2, until: '2026-11-01T10:00:40.000Z' },
      slots: { DescribeDeliveryStream: T0 + 40_000 },
    });
    expect(continueState(overTheWire(waiting))).toStrictEqual(waiting);
  });

  it('reads back a settling state and a concluded one, with the outcome and the error a Catch added', () => {
    const settling = settle({ ...startState(workflowInput()), previousKey: { keyType: 'AWS_OWNED_CMK' } }, T0 + 2_000);
    expect(settling).toMatchObject({ phase: 'SETTLE', enabledSeenAt: T0 + 2_000, wait: { id: 1, seconds: 5 } });
    expect(continueState(overTheWire(settling))).toStrictEqual(settling);

    const concluded: RemediationState = {
      ...conclude(settling, {
        status: 'FAILED',
        reason: 'KEY_PROBLEM',
        details: 'key disabled',
        failureType: 'KMS_KEY_DISABLED',
        stillEncryptedWith: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN },
      }),
      unusableKeys: [KEY_ARN],
      rounds: 1,
      published: ['orders-c1#0:evaluated'],
      error: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"boom"}' },
    };
    expect(continueState(overTheWire(concluded))).toStrictEqual(concluded);
  });

  it.each(['INSPECT', 'WAIT_BUSY', 'ENABLE', 'WAIT_RETRY', 'WAIT_BUDGET', 'POLL', 'SETTLE', 'WAIT_SLOT', 'CONCLUDE'] satisfies Phase[])(
    'accepts the phase %s',
    (phase) => {
      expect(continueState(overTheWire({ ...startState(workflowInput()), phase })).phase).toBe(phase);
    },
  );

  it('reads a JSON null detectedAt (NaN written by JSON.stringify) as NaN, and keeps an in-memory NaN', () => {
    const { detectedAt: _none, ...input } = workflowInput();
    const unknownTime = startState(input);
    const wire = overTheWire(unknownTime);
    expect(wire).toMatchObject({ detectedAt: null });
    expect(continueState(wire).detectedAt).toBeNaN();
    expect(continueState(unknownTime).detectedAt).toBeNaN();
  });

  it('drops fields that no task of this version knows, at the top and inside known objects', () => {
    const state = stateWaitingForSlot();
    const wire = overTheWire(state) as Record<string, Record<string, unknown>>;
    const future = {
      ...wire,
      futureField: { anything: true },
      counters: { ...wire.counters, rebates: 3 },
      slots: { ...wire.slots, PutRecord: T0 },
      wait: { ...wire.wait, jitter: 0.5 },
      stream: { ...wire.stream, partition: 'aws' },
      error: { Error: 'E', Cause: 'C', Retries: 2 },
    };
    expect(continueState(future)).toStrictEqual({ ...state, error: { Error: 'E', Cause: 'C' } });
  });

  it.each([
    [
      'counters.polls',
      { counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 0, polls: '1', callsSpent: 0 } },
      'counters.polls must be a number, got "1"',
    ],
    [
      'counters.callsSpent',
      { counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 0, polls: 0, callsSpent: -1 } },
      'counters.callsSpent must be at least 0, got -1',
    ],
    [
      'counters.attempts',
      { counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 1.5, polls: 0, callsSpent: 0 } },
      'counters.attempts must be an integer, got 1.5',
    ],
    ['counters', { counters: undefined }, 'counters must be an object, got undefined'],
    [
      'phase',
      { phase: 'NAP' },
      'phase must be one of "INSPECT", "WAIT_BUSY", "ENABLE", "WAIT_RETRY", "WAIT_BUDGET", "POLL", "SETTLE", "WAIT_SLOT", "CONCLUDE", got "NAP"',
    ],
    ['trigger', { trigger: 'whim' }, 'trigger must be one of "stream-created", '],
    ['correlationId', { correlationId: '' }, 'correlationId must be at least 1 characters, got 0'],
    ['detectedAt (a date string)', { detectedAt: '2026-11-01' }, 'detectedAt matches none of its shapes: "2026-11-01"'],
    ['detectedAt (Infinity)', { detectedAt: Number.POSITIVE_INFINITY }, 'detectedAt matches none of its shapes: Infinity'],
    ['stream.name', { stream: { account: '123456789012', region: 'eu-west-1' } }, 'stream.name must be a string, got undefined'],
    ['unusableKeys', { unusableKeys: undefined }, 'unusableKeys must be an array, got undefined'],
    ['unusableKeys[1]', { unusableKeys: [KEY_ARN, 7] }, 'unusableKeys[1] must be a string, got 7'],
    ['wait.seconds', { wait: { id: 1, seconds: -1 } }, 'wait.seconds must be at least 0, got -1'],
    ['wait (no seconds nor until)', { wait: { id: 1 } }, 'wait matches none of its shapes: {"id":1}'],
    ['wait (no id)', { wait: { seconds: 5 } }, 'wait matches none of its shapes: {"seconds":5}'],
    ['wait (a fractional id)', { wait: { id: 1.5, seconds: 5 } }, 'wait matches none of its shapes: {"id":1.5,"seconds":5}'],
    ['wait (until in epoch ms)', { wait: { id: 1, until: T0 } }, `wait matches none of its shapes: {"id":1,"until":${T0}}`],
    [
      'initial.verdict',
      { initial: { verdict: 'MAYBE', encryption: { status: 'DISABLED' } } },
      'initial.verdict must be one of "COMPLIANT", ',
    ],
    [
      'initial.encryption.status',
      { initial: { verdict: 'REMEDIATE', encryption: { status: 'OFF' } } },
      'initial.encryption.status must be one of "ENABLED", ',
    ],
    [
      'previousKey.keyType',
      { previousKey: { keyType: 'AWS_MANAGED_CMK' } },
      'previousKey.keyType must be one of "AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK", got "AWS_MANAGED_CMK"',
    ],
    ['target.keyArn', { target: { keyType: 'CUSTOMER_MANAGED_CMK' } }, 'target.keyArn must be a string, got undefined'],
    [
      'target.keyType',
      { target: { keyType: 'AWS_MANAGED_CMK' } },
      'target.keyType must be one of "AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK", got "AWS_MANAGED_CMK"',
    ],
    ['reason', { reason: 'BORED' }, 'reason must be one of "ENCRYPTION_DISABLED", '],
    ['reservationId', { reservationId: 7 }, 'reservationId must be a string, got 7'],
    ['budgetRemaining.ours', { budgetRemaining: { ours: '4', total: 24 } }, 'budgetRemaining.ours must be a number, got "4"'],
    [
      'budgetLow.nextAvailableAt',
      { budgetLow: { remainingOurs: 1, remainingTotal: 2, nextAvailableAt: 'soon' } },
      'budgetLow.nextAvailableAt must be a number, got "soon"',
    ],
    ['outcome.status', { outcome: { status: 'FINE' } }, 'outcome.status must be one of "COMPLIANT", "REMEDIATED", '],
    [
      'outcome.protectedAt',
      { outcome: { status: 'REMEDIATED', keyType: 'AWS_OWNED_CMK', viaFallback: false } },
      'outcome.protectedAt must be a number, got undefined',
    ],
    [
      'outcome.reason',
      { outcome: { status: 'DEFERRED', reason: 'LATER', details: 'd' } },
      'outcome.reason must be one of "BUDGET_SPENT", ',
    ],
    ['error.Cause', { error: { Error: 'E', Cause: { message: 'm' } } }, 'error.Cause must be a string, got {"message":"m"}'],
    ['leaseGeneration', { leaseGeneration: '3' }, 'leaseGeneration must be a number, got "3"'],
    ['enabledSeenAt', { enabledSeenAt: null }, 'enabledSeenAt must be a number, got null'],
    ['rounds', { rounds: -1 }, 'rounds must be at least 0, got -1'],
    ['published[0]', { published: [3] }, 'published[0] must be a string, got 3'],
    ['slots', { slots: [T0] }, 'slots must be an object, got [1793527200000]'],
    [
      'slots.StartDeliveryStreamEncryption',
      { slots: { StartDeliveryStreamEncryption: 'soon' } },
      'slots.StartDeliveryStreamEncryption must be a number, got "soon"',
    ],
    ['resume', { resume: 'ENABLE' }, 'resume must be one of "INSPECT", "CHECK", got "ENABLE"'],
    ['slotWaitedMs', { slotWaitedMs: -1 }, 'slotWaitedMs must be at least 0, got -1'],
    ['throttleWaits', { throttleWaits: 1.5 }, 'throttleWaits must be an integer, got 1.5'],
    ['startedAt', { startedAt: '2026-11-01T10:00:00Z' }, 'startedAt must be a number, got "2026-11-01T10:00:00Z"'],
    ['firstLookAfterMs', { firstLookAfterMs: null }, 'firstLookAfterMs must be a number, got null'],
    ['lookDueAt', { lookDueAt: true }, 'lookDueAt must be a number, got true'],
  ])('refuses a wrong %s, naming it', (_field, change, problem) => {
    const error = refusalOf(() => continueState({ ...(overTheWire(startState(workflowInput())) as object), ...change }));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(problem);
    expect(error.message).toBe(`task input is not a remediation state: ${error.problems[0]}`);
  });

  it('refuses a well-typed state whose stream is no stream, as stream-ref does', () => {
    const state = overTheWire(startState(workflowInput())) as object;
    const error = refusalOf(() => continueState({ ...state, stream: { account: '123456789012', region: 'mars', name: 'orders' } }));
    expect(error).toBeInstanceOf(InvalidStreamNameError);
    expect(error.message).toBe('invalid region "mars"');
  });

  it.each([
    ['null', null],
    ['a string', 'INSPECT'],
    ['a number', 7],
    ['an array', [startState(workflowInput())]],
  ])('refuses %s, which is not an object', (_case, input) => {
    expect(refusalOf(() => continueState(input)).message).toMatch(/^task input is not a remediation state: must be an object, got /);
  });
});

describe('the wait directive: seconds (SecondsPath) or a time (TimestampPath)', () => {
  const withWait = (wait: unknown) => continueState({ ...(overTheWire(startState(workflowInput())) as object), wait });

  it('reads a wait in seconds, zero and fractions included', () => {
    expect(withWait({ id: 1, seconds: 30 }).wait).toStrictEqual({ id: 1, seconds: 30 });
    expect(withWait({ id: 0, seconds: 0 }).wait).toStrictEqual({ id: 0, seconds: 0 });
    expect(withWait({ id: 2, seconds: 2.5 }).wait).toStrictEqual({ id: 2, seconds: 2.5 });
  });

  it('reads a wait until a time', () => {
    expect(withWait({ id: 3, until: '2026-11-01T10:00:40.000Z' }).wait).toStrictEqual({ id: 3, until: '2026-11-01T10:00:40.000Z' });
  });

  it('reads a directive with both as the seconds one (the first shape that fits), dropping the time', () => {
    expect(withWait({ id: 4, seconds: 3, until: '2026-11-01T10:00:40.000Z' }).wait).toStrictEqual({ id: 4, seconds: 3 });
  });

  it('reads what goTo writes, and goTo keeps the ids of one execution increasing', () => {
    const first = goTo(startState(workflowInput()), 'WAIT_BUSY', { seconds: 29.2 });
    const second = goTo(goTo(first, 'INSPECT'), 'WAIT_BUDGET', { until: T0 + 60_000 });
    expect(continueState(overTheWire(first)).wait).toStrictEqual({ id: 1, seconds: 30 });
    expect(continueState(overTheWire(second)).wait).toStrictEqual({ id: 2, until: '2026-11-01T10:01:00.000Z' });
  });
});

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
