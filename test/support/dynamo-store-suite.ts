import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBudgetLedger } from '../../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../../functions/adapters/dynamo/lease-store.ts';
import type { StateTable } from '../../functions/adapters/dynamo/state-table.ts';
import { DynamoStreamStateStore } from '../../functions/adapters/dynamo/stream-state-store.ts';
import type { LedgerCall } from '../../functions/domain/budget.ts';
import { BudgetExhaustedError, InvalidInputError, InvalidStreamNameError, LeaseHeldError } from '../../functions/domain/errors.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

export interface DynamoBackend {
  table: StateTable;
  close(): Promise<void>;
}

/**
 * The DynamoDB stores' behaviour, written once and run against every backend: dynalite in
 * `npm test`, moto_server in the conformance suite.
 */
export function describeDynamoStores(backendName: string, start: () => Promise<DynamoBackend>): void {
  describe(`DynamoDB stores on ${backendName}`, () => {
    let backend: DynamoBackend;
    let ledger: DynamoBudgetLedger;
    let leases: DynamoLeaseStore;
    let states: DynamoStreamStateStore;
    beforeAll(async () => {
      backend = await start();
      ledger = new DynamoBudgetLedger(backend.table);
      leases = new DynamoLeaseStore(backend.table);
      states = new DynamoStreamStateStore(backend.table);
    });
    afterAll(() => backend.close());

    const newStream = (): StreamRef => ({ account: '123456789012', region: 'us-east-1', name: `s-${randomUUID().slice(0, 8)}` });
    const ours = (id: string, at: number): LedgerCall => ({ id, at, by: 'remediator', operation: 'Start' });
    const theirs = (id: string, at: number): LedgerCall => ({
      id,
      at,
      by: 'other',
      operation: 'Stop',
      principal: 'arn:aws:iam::123456789012:user/alice',
    });

    it('reserves calls up to the share, then refuses with the time the next call is available', async () => {
      const ref = newStream();
      for (let i = 0; i < 3; i += 1) await ledger.reserve(ref, ours(`r${i}`, T0 + i * HOUR), 3);
      const refusal = await ledger.reserve(ref, ours('r3', T0 + 3 * HOUR), 3).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(BudgetExhaustedError);
      expect((refusal as BudgetExhaustedError).nextAvailableAt).toBe(T0 + 24 * HOUR);
      expect(await ledger.status(ref, T0 + 24 * HOUR, 3)).toMatchObject({ ours: 2, remainingOurs: 1 });
    });

    it("counts others' calls against the 25 and records each CloudTrail event once", async () => {
      const ref = newStream();
      expect(await ledger.record(ref, theirs('event-1', T0), T0)).toEqual({ recorded: true });
      expect(await ledger.record(ref, theirs('event-1', T0), T0 + 1)).toEqual({ recorded: false });
      for (let i = 2; i <= 24; i += 1) await ledger.record(ref, theirs(`event-${i}`, T0 + i), T0 + i);
      expect(await ledger.status(ref, T0 + 100, 20)).toEqual({ total: 24, ours: 0, remainingTotal: 1, remainingOurs: 1 });
      await ledger.reserve(ref, ours('mine', T0 + 200), 20);
      await expect(ledger.reserve(ref, ours('mine-2', T0 + 300), 20)).rejects.toBeInstanceOf(BudgetExhaustedError);
      expect((await ledger.calls(ref, T0 + 300)).map((c) => c.by)).toEqual([...Array(24).fill('other'), 'remediator']);
    });

    it('reserving the same id twice spends one call; releasing gives it back', async () => {
      const ref = newStream();
      await ledger.reserve(ref, ours('same', T0), 20);
      await ledger.reserve(ref, ours('same', T0), 20);
      expect((await ledger.status(ref, T0, 20)).ours).toBe(1);
      await ledger.release(ref, 'same', T0 + 1);
      await ledger.release(ref, 'same', T0 + 1);
      expect((await ledger.status(ref, T0 + 1, 20)).ours).toBe(0);
    });

    it('lets only one of many concurrent reservers take the last call', async () => {
      const ref = newStream();
      for (let i = 0; i < 19; i += 1) await ledger.reserve(ref, ours(`early-${i}`, T0 + i), 20);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ledger.reserve(ref, ours(`racer-${i}`, T0 + 100), 20)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected').every((o) => o.reason instanceof BudgetExhaustedError)).toBe(true);
      expect((await ledger.status(ref, T0 + 100, 20)).ours).toBe(20);
    });

    it('does not count the CloudTrail echo of a confirmed call of ours twice, whichever arrives first', async () => {
      const ref = newStream();
      await ledger.reserve(ref, ours('mine-1', T0), 20);
      await ledger.confirm(ref, 'mine-1', 'req-1', T0 + 1);
      expect(await ledger.record(ref, { ...theirs('event-1', T0 + 2), requestId: 'req-1' }, T0 + 3)).toEqual({ recorded: false });

      await ledger.reserve(ref, ours('mine-2', T0 + 10), 20);
      expect(await ledger.record(ref, { ...theirs('event-2', T0 + 11), requestId: 'req-2' }, T0 + 12)).toEqual({ recorded: true });
      await ledger.confirm(ref, 'mine-2', 'req-2', T0 + 13);

      expect(await ledger.calls(ref, T0 + 20)).toEqual([
        { ...ours('mine-1', T0), requestId: 'req-1' },
        { ...ours('mine-2', T0 + 10), requestId: 'req-2' },
      ]);
    });

    it('leases a stream to one owner at a time, renews for the holder, and frees on release or expiry', async () => {
      const ref = newStream();
      expect(await leases.acquire(ref, 'exec-a', T0, 60_000)).toEqual({ owner: 'exec-a', expiresAt: T0 + 60_000 });
      const held = await leases.acquire(ref, 'exec-b', T0 + 1, 60_000).catch((e: unknown) => e);
      expect(held).toBeInstanceOf(LeaseHeldError);
      expect(held).toMatchObject({ holder: 'exec-a', expiresAt: T0 + 60_000 });
      expect(await leases.acquire(ref, 'exec-a', T0 + 2, 60_000)).toEqual({ owner: 'exec-a', expiresAt: T0 + 60_002 });
      await leases.release(ref, 'exec-b'); // not the holder: no effect
      await expect(leases.acquire(ref, 'exec-b', T0 + 3, 60_000)).rejects.toBeInstanceOf(LeaseHeldError);
      expect(await leases.acquire(ref, 'exec-b', T0 + 60_002, 60_000)).toMatchObject({ owner: 'exec-b' });
      await leases.release(ref, 'exec-b');
      expect(await leases.acquire(ref, 'exec-c', T0 + 60_003, 60_000)).toMatchObject({ owner: 'exec-c' });
    });

    it('refuses invalid stream references and call records before any write', async () => {
      const bad = { account: '123456789012', region: 'us-east-1', name: 'bad name' };
      await expect(ledger.reserve(bad, ours('r', T0), 20)).rejects.toBeInstanceOf(InvalidStreamNameError);
      await expect(leases.acquire({ ...bad, name: 'ok', account: '42' }, 'x', T0, 1)).rejects.toBeInstanceOf(InvalidStreamNameError);
      await expect(states.put({ ...bad, region: 'nowhere' }, { verdict: 'COMPLIANT', updatedAt: T0 })).rejects.toBeInstanceOf(
        InvalidStreamNameError,
      );
      const ref = newStream();
      await expect(ledger.record(ref, { ...theirs('', T0) }, T0)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(ledger.reserve(ref, { ...ours('r', Number.NaN) }, 20)).rejects.toThrow(/at: expected epoch milliseconds/);
      await expect(ledger.reserve(ref, { ...ours('r', T0), by: 'someone' as never }, 20)).rejects.toThrow(/by: expected/);
      expect(await ledger.calls(ref, T0)).toEqual([]);
    });

    it('gives exactly one of many concurrent claimants the lease', async () => {
      const ref = newStream();
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => leases.acquire(ref, `exec-${i}`, T0, 60_000)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    });

    it("keeps the stream's state and forgets it (and its lease) but not its ledger", async () => {
      const ref = newStream();
      await states.put(ref, { verdict: 'COMPLIANT', keyType: 'AWS_OWNED_CMK', updatedAt: T0, correlationId: 'exec-1' });
      await leases.acquire(ref, 'exec-1', T0, 60_000);
      await ledger.reserve(ref, ours('r', T0), 20);
      expect(await states.get(ref)).toEqual({ verdict: 'COMPLIANT', keyType: 'AWS_OWNED_CMK', updatedAt: T0, correlationId: 'exec-1' });

      await states.forget(ref);

      expect(await states.get(ref)).toBeUndefined();
      expect(await leases.acquire(ref, 'exec-2', T0 + 1, 60_000)).toMatchObject({ owner: 'exec-2' });
      expect((await ledger.status(ref, T0 + 1, 20)).ours).toBe(1);
    });
  });
}
