import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../functions/domain/errors.ts';
import { MAX_SWEEP_INVOCATIONS, type SweepCursor } from '../../../functions/domain/sweep/sweep.ts';
import { sweepCursorOf } from '../../../functions/handlers/sweep.ts';
import { refusalOf } from '../../support/refusal.ts';

const NOW = Date.parse('2026-11-01T10:00:00Z');
const SETTINGS = { regions: ['eu-west-1', 'us-east-1'] };
const CONTEXT = {
  getRemainingTimeInMillis: () => 60_000,
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:guard-sweep',
};

const cursorOf = (event: unknown) => sweepCursorOf(event, SETTINGS, CONTEXT, NOW);

/** A sweep half-way: one region done, a page into the second. */
const cursor = (fields: Record<string, unknown> = {}): SweepCursor & Record<string, unknown> => ({
  sweepId: 'sweep-20261101090000',
  account: '123456789012',
  regions: ['eu-west-1', 'us-east-1'],
  regionIndex: 1,
  startAfter: 'orders',
  startedAt: NOW - 3_600_000,
  invocations: 3,
  totals: { COMPLIANT: 40, NOT_APPLICABLE: 2, EXEMPT: 1, GONE: 0, BUSY: 1, REMEDIATE: 2, streams: 46 },
  nonCompliant: [
    { name: 'clicks', region: 'eu-west-1', reason: 'ENCRYPTION_DISABLED' },
    { name: 'orders', region: 'us-east-1', reason: 'KEY_NOT_APPROVED' },
  ],
  truncated: false,
  workflowsStarted: 2,
  alreadyRunning: 1,
  ...fields,
});

describe('sweepCursorOf: a scheduled event starts a sweep', () => {
  const fresh = {
    regionIndex: 0,
    startedAt: NOW,
    invocations: 0,
    totals: { streams: 0, COMPLIANT: 0, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 0 },
    nonCompliant: [],
    truncated: false,
    workflowsStarted: 0,
    alreadyRunning: 0,
  };

  it("starts a new sweep named after the schedule's event id, over the settings' regions, from now", () => {
    const scheduled = {
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-11-01T10:00:00Z',
      detail: {},
    };
    const started = cursorOf(scheduled);
    expect(started.sweepId).toHaveLength(40);
    expect(started).toStrictEqual({
      sweepId: 'sweep-53dc4d37-cffa-4f76-80c9-8b7d4a4d2e',
      account: '123456789012',
      regions: ['eu-west-1', 'us-east-1'],
      ...fresh,
    });
  });

  it.each([
    ['an empty object', {}],
    ['null', null],
    ['no payload', undefined],
    ['a state machine input that names no cursor', { done: true }],
  ])('starts a sweep named after the time for %s', (_case, event) => {
    expect(cursorOf(event)).toStrictEqual({
      sweepId: 'sweep-20261101100000',
      account: '123456789012',
      regions: SETTINGS.regions,
      ...fresh,
    });
  });

  it("takes the account from the settings before the function's ARN, and refuses to start without either", () => {
    expect(sweepCursorOf({ id: 'nightly' }, { ...SETTINGS, account: '210987654321' }, CONTEXT, NOW)).toMatchObject({
      sweepId: 'sweep-nightly',
      account: '210987654321',
    });
    const error = refusalOf(() => sweepCursorOf({ id: 'nightly' }, SETTINGS, { getRemainingTimeInMillis: () => 60_000 }, NOW));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message).toBe('sweep: the account id is unknown');
  });

  it('refuses an empty id, naming it', () => {
    expect(refusalOf(() => cursorOf({ id: '' })).message).toBe('sweep event: id must be at least 1 characters, got 0');
  });
});

describe('sweepCursorOf: a cursor continues its sweep', () => {
  it("continues from the cursor as it is, with its own regions and account, not the settings'", () => {
    const given = cursor({ regions: ['ap-southeast-2'], regionIndex: 0, account: '210987654321' });
    expect(cursorOf({ cursor: given })).toStrictEqual(given);
  });

  it("continues from the state machine's input (the last step's output), dropping what it does not know", () => {
    const given = cursor();
    expect(cursorOf({ done: false, cursor: { ...given, lambdaRequestId: 'r-1' } })).toStrictEqual(given);
  });

  it('continues without startAfter (the start of a region) and with a truncated list of non-compliant streams', () => {
    const { startAfter: _none, ...atRegionStart } = cursor({ truncated: true, nonCompliant: [] });
    expect(cursorOf({ cursor: atRegionStart })).toStrictEqual(atRegionStart);
  });

  it(`continues below ${MAX_SWEEP_INVOCATIONS} invocations and stops the sweep at ${MAX_SWEEP_INVOCATIONS}`, () => {
    expect(cursorOf({ cursor: cursor({ invocations: MAX_SWEEP_INVOCATIONS - 1 }) }).invocations).toBe(MAX_SWEEP_INVOCATIONS - 1);
    for (const invocations of [MAX_SWEEP_INVOCATIONS, MAX_SWEEP_INVOCATIONS + 7]) {
      const error = refusalOf(() => cursorOf({ cursor: cursor({ invocations }) }));
      expect(error).toBeInstanceOf(MalformedEventError);
      expect(error.message).toBe(`sweep sweep-20261101090000: stopped after ${invocations} invocations`);
    }
  });
});

describe('sweepCursorOf: a malformed cursor is refused, naming each field', () => {
  const totals = cursor().totals;
  it.each([
    ['sweepId', { sweepId: '' }, 'cursor.sweepId must be at least 1 characters, got 0'],
    ['account (a number)', { account: 123456789012 }, 'cursor.account must be a string, got 123456789012'],
    ['account (empty)', { account: '' }, 'cursor.account must be at least 1 characters, got 0'],
    ['regions', { regions: 'eu-west-1' }, 'cursor.regions must be an array, got "eu-west-1"'],
    ['regions[1]', { regions: ['eu-west-1', 5] }, 'cursor.regions[1] must be a string, got 5'],
    ['regionIndex (negative)', { regionIndex: -1 }, 'cursor.regionIndex must be at least 0, got -1'],
    ['regionIndex (a fraction)', { regionIndex: 0.5 }, 'cursor.regionIndex must be an integer, got 0.5'],
    ['startAfter', { startAfter: 7 }, 'cursor.startAfter must be a string, got 7'],
    ['startedAt', { startedAt: '2026-11-01T09:00:00Z' }, 'cursor.startedAt must be a number, got "2026-11-01T09:00:00Z"'],
    ['invocations (negative)', { invocations: -1 }, 'cursor.invocations must be at least 0, got -1'],
    ['invocations (a string)', { invocations: '3' }, 'cursor.invocations must be a number, got "3"'],
    ['totals (missing)', { totals: undefined }, 'cursor.totals must be an object, got undefined'],
    ['totals.BUSY', { totals: { ...totals, BUSY: undefined } }, 'cursor.totals.BUSY must be a number, got undefined'],
    ['totals.streams', { totals: { ...totals, streams: -46 } }, 'cursor.totals.streams must be at least 0, got -46'],
    ['totals (an unknown verdict)', { totals: { ...totals, BROKEN: 1 } }, 'cursor.totals has unknown fields ["BROKEN"]'],
    ['nonCompliant', { nonCompliant: {} }, 'cursor.nonCompliant must be an array, got {}'],
    [
      'nonCompliant[0].reason',
      { nonCompliant: [{ name: 'orders', region: 'eu-west-1' }] },
      'cursor.nonCompliant[0].reason must be a string, got undefined',
    ],
    [
      'nonCompliant[0]',
      { nonCompliant: [{ name: 'orders', region: 'eu-west-1', reason: 'r', arn: 'a' }] },
      'cursor.nonCompliant[0] has unknown fields ["arn"]',
    ],
    ['truncated', { truncated: 'no' }, 'cursor.truncated must be a boolean, got "no"'],
    ['workflowsStarted', { workflowsStarted: -3 }, 'cursor.workflowsStarted must be at least 0, got -3'],
    ['alreadyRunning', { alreadyRunning: null }, 'cursor.alreadyRunning must be a number, got null'],
  ])('refuses a wrong %s', (_field, change, problem) => {
    const error = refusalOf(() => cursorOf({ cursor: cursor(change) }));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems).toEqual([problem]);
    expect(error.message).toBe(`sweep event: ${problem}`);
  });

  it('names every field a cursor lacks', () => {
    const error = refusalOf(() => cursorOf({ cursor: { sweepId: 'sweep-1' } }));
    expect(error.problems).toEqual([
      'cursor.account must be a string, got undefined',
      'cursor.regions must be an array, got undefined',
      'cursor.regionIndex must be a number, got undefined',
      'cursor.startedAt must be a number, got undefined',
      'cursor.invocations must be a number, got undefined',
      'cursor.totals must be an object, got undefined',
      'cursor.nonCompliant must be an array, got undefined',
      'cursor.truncated must be a boolean, got undefined',
      'cursor.workflowsStarted must be a number, got undefined',
      'cursor.alreadyRunning must be a number, got undefined',
    ]);
  });

  it('refuses a cursor that is null or a string rather than starting a new sweep', () => {
    expect(refusalOf(() => cursorOf({ cursor: null })).message).toBe('sweep event: cursor must be an object, got null');
    expect(refusalOf(() => cursorOf({ cursor: 'sweep-1' })).message).toBe('sweep event: cursor must be an object, got "sweep-1"');
  });

  it.each([
    ['a string', 'sweep', 'sweep event: must be an object, got "sweep"'],
    ['a number', 42, 'sweep event: must be an object, got 42'],
    ['a boolean', true, 'sweep event: must be an object, got true'],
    ['an array', [cursor()], 'sweep event: must be an object, got [{"sweepId":'],
  ])('refuses an event that is %s, not an object', (_case, event, message) => {
    const error = refusalOf(() => cursorOf(event));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.message.startsWith(message)).toBe(true);
  });
});
