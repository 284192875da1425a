import { describe, expect, it } from 'vitest';
import { InvalidStreamNameError, MalformedEventError } from '../../../functions/domain/errors.ts';
import { TRIGGERS } from '../../../functions/domain/events.ts';
import {
  conclude,
  continueState,
  goTo,
  settle,
  startState,
  type Phase,
  type RemediationState,
} from '../../../functions/domain/remediation/state.ts';
import { refusalOf } from '../../support/refusal.ts';
import { KEY_ARN, overTheWire, stateWaitingForSlot, T0, withStream, workflowInput } from '../../support/state-fixtures.ts';

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
