import { describe, expect, it } from 'vitest';
import { budgetStatus, callsInWindow, recordCall, releaseCall, reserveCall, type LedgerCall } from '../../../functions/domain/budget.ts';
import { BudgetExhaustedError } from '../../../functions/domain/errors.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 1);

const call = (id: string, at: number, by: LedgerCall['by'] = 'remediator'): LedgerCall => ({ id, at, by, operation: 'Start' });
const many = (n: number, by: LedgerCall['by'], at: (i: number) => number): LedgerCall[] =>
  Array.from({ length: n }, (_, i) => call(`${by}-${i}`, at(i), by));

describe('the budget ledger rules', () => {
  it('counts calls of the last 24 hours only: a call exactly 24 hours old has aged out', () => {
    const calls = [call('old', T0), call('new', T0 + HOUR)];
    expect(callsInWindow(calls, T0 + DAY - 1).map((c) => c.id)).toEqual(['old', 'new']);
    expect(callsInWindow(calls, T0 + DAY).map((c) => c.id)).toEqual(['new']);
  });

  it('reports the total, ours and what is left of each', () => {
    const calls = [...many(3, 'remediator', (i) => T0 + i), ...many(4, 'other', (i) => T0 + 10 + i)];
    expect(budgetStatus(calls, T0 + HOUR, 20)).toEqual({ total: 7, ours: 3, remainingTotal: 18, remainingOurs: 17 });
  });

  it('bounds what is left for us by what is left in total ("a combined limit of 25 calls")', () => {
    const calls = [...many(2, 'remediator', (i) => T0 + i), ...many(21, 'other', (i) => T0 + 10 + i)];
    expect(budgetStatus(calls, T0 + HOUR, 20)).toMatchObject({ remainingTotal: 2, remainingOurs: 2 });
  });

  it('reserves a call while both the total and our share allow', () => {
    const reserved = reserveCall(
      many(19, 'remediator', (i) => T0 + i),
      call('r', T0 + HOUR),
      20,
    );
    expect(reserved).toHaveLength(20);
  });

  it('refuses past our share, naming when the oldest of our calls ages out', () => {
    const ours = many(20, 'remediator', (i) => T0 + i * HOUR);
    const attempt = () => reserveCall(ours, call('r', T0 + 20 * HOUR), 20);
    expect(attempt).toThrow(BudgetExhaustedError);
    expect(attempt).toThrow(/20 of the remediator's 20/);
    try {
      attempt();
    } catch (error) {
      expect((error as BudgetExhaustedError).nextAvailableAt).toBe(T0 + DAY);
    }
  });

  it('refuses past 25 in total even when our share is not spent, until enough calls age out', () => {
    const calls = [...many(5, 'remediator', (i) => T0 + i * HOUR), ...many(20, 'other', (i) => T0 + 5 * HOUR + i)];
    const status = budgetStatus(calls, T0 + 6 * HOUR, 20);
    expect(status).toMatchObject({ total: 25, remainingTotal: 0, remainingOurs: 0, nextAvailableAt: T0 + DAY });
    expect(() => reserveCall(calls, call('r', T0 + 6 * HOUR), 20)).toThrow(BudgetExhaustedError);
    expect(reserveCall(calls, call('r', T0 + DAY), 20)).toHaveLength(25);
  });

  it('when both limits bind, the next call waits for the later of the two', () => {
    // Our 3 calls (share 3) are recent; 22 others are older. Total frees at T0 + DAY, ours at T0 + 10h + DAY.
    const calls = [...many(22, 'other', (i) => T0 + i), ...many(3, 'remediator', (i) => T0 + 10 * HOUR + i)];
    expect(budgetStatus(calls, T0 + 11 * HOUR, 3).nextAvailableAt).toBe(T0 + 10 * HOUR + DAY);
  });

  it('reserving the same id twice is one reservation', () => {
    const once = reserveCall([], call('r', T0), 20);
    expect(reserveCall(once, call('r', T0), 20)).toHaveLength(1);
  });

  it("records others' calls idempotently, even past the limit, and ignores calls older than the window", () => {
    const full = many(25, 'other', (i) => T0 + i);
    const recorded = recordCall(full, call('late', T0 + 100, 'other'), T0 + 200);
    expect(recorded).toMatchObject({ recorded: true });
    expect(recorded.calls).toHaveLength(26);
    expect(recordCall(recorded.calls, call('late', T0 + 100, 'other'), T0 + 200).recorded).toBe(false);
    expect(recordCall([], call('ancient', T0, 'other'), T0 + DAY).recorded).toBe(false);
  });

  it('knows the CloudTrail echo of our confirmed call by its request id, in either order', async () => {
    const { confirmCall } = await import('../../../functions/domain/budget.ts');
    const echo = { ...call('event-9', T0 + 5, 'other'), requestId: 'req-1' };
    // Confirmation first: the echo is then a duplicate.
    const confirmed = confirmCall([call('mine', T0)], 'mine', 'req-1', T0 + 1);
    expect(confirmed).toEqual([{ ...call('mine', T0), requestId: 'req-1' }]);
    expect(recordCall(confirmed, echo, T0 + 10)).toMatchObject({ recorded: false });
    // Echo first: confirming merges it into our reservation.
    const echoed = recordCall([call('mine', T0)], echo, T0 + 10).calls;
    expect(echoed).toHaveLength(2);
    expect(confirmCall(echoed, 'mine', 'req-1', T0 + 11)).toEqual([{ ...call('mine', T0), requestId: 'req-1' }]);
    // Confirming a reservation that is gone changes nothing.
    expect(confirmCall(echoed, 'unknown', 'req-1', T0 + 11)).toEqual(echoed);
  });

  it('releases a reservation that Firehose refused', () => {
    expect(releaseCall([call('a', T0), call('b', T0)], 'a', T0 + 1).map((c) => c.id)).toEqual(['b']);
  });
});

describe('ledger call records', () => {
  it('accepts a well-formed call and refuses each malformed field', async () => {
    const { checkLedgerCall } = await import('../../../functions/domain/budget.ts');
    expect(checkLedgerCall(call('a', T0))).toEqual(call('a', T0));
    expect(() => checkLedgerCall({ id: '', at: -1, by: 'x' as never, operation: 'Pause' as never })).toThrow(
      'invalid ledger call: id: expected 1 to 256 characters; at: expected epoch milliseconds, got -1; by: expected "remediator" or "other", got "x"; operation: expected "Start" or "Stop", got "Pause"',
    );
  });
});
