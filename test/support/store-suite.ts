import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerCall } from '../../functions/domain/budget.ts';
import { BudgetExhaustedError, InvalidInputError, InvalidStreamNameError, LeaseHeldError } from '../../functions/domain/errors.ts';
import type { BudgetLedger, KeyFailure, KeyFailureStore, LeaseStore, StreamState, StreamStateStore } from '../../functions/domain/ports.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

/** The store ports of one backend, sharing one table (forgetting a stream's state reaches its lease and key failures). */
export interface StoreBackend {
  readonly ledger: BudgetLedger;
  readonly leases: LeaseStore;
  readonly states: StreamStateStore;
  readonly keyFailures: KeyFailureStore;
  close(): Promise<void>;
}

/**
 * The store ports' behaviour, written once and run against every implementation: the DynamoDB
 * adapters on dynalite in `npm test` and on moto_server in the conformance suite, and the in-memory
 * stores (local/memory-stores.ts) that the domain's unit tests use instead of a DynamoDB endpoint.
 */
export function describeStores(backendName: string, start: () => Promise<StoreBackend>): void {
  describe(`store ports on ${backendName}`, () => {
    let backend: StoreBackend;
    let ledger: BudgetLedger;
    let leases: LeaseStore;
    let states: StreamStateStore;
    let keyFailures: KeyFailureStore;
    beforeAll(async () => {
      backend = await start();
      ({ ledger, leases, states, keyFailures } = backend);
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
    const keyFailure = (key: string, at: number): KeyFailure => ({
      key,
      failureType: 'INVALID_KMS_KEY',
      details: `${key} is disabled`,
      at,
      keyState: 'usable',
    });
    const byKey = (failures: KeyFailure[]) => [...failures].sort((a, b) => a.key.localeCompare(b.key));

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
      await expect(leases.noteTrigger(bad, T0)).rejects.toBeInstanceOf(InvalidStreamNameError);
      await expect(keyFailures.remember(bad, keyFailure('AWS_OWNED_CMK', T0))).rejects.toBeInstanceOf(InvalidStreamNameError);
      await expect(states.get(bad)).rejects.toBeInstanceOf(InvalidStreamNameError);
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

    it('drops a reservation of unknown fate when its time is up, but never one Firehose confirmed', async () => {
      const ref = newStream();
      await ledger.reserve(ref, ours('lost', T0), 20);
      await ledger.reserve(ref, ours('confirmed', T0 + 1), 20);
      await ledger.confirm(ref, 'confirmed', 'req-1', T0 + 2);

      await ledger.markUnknown(ref, 'lost', T0 + HOUR, T0 + 3);
      await ledger.markUnknown(ref, 'confirmed', T0 + HOUR, T0 + 3);
      await ledger.release(ref, 'confirmed', T0 + 4);

      expect((await ledger.calls(ref, T0 + HOUR - 1)).map((c) => c.id)).toEqual(['lost', 'confirmed']);
      expect(await ledger.calls(ref, T0 + HOUR)).toEqual([{ ...ours('confirmed', T0 + 1), requestId: 'req-1' }]);
    });

    it('takes the CloudTrail echo of our call of unknown fate as its confirmation, so the call keeps counting', async () => {
      const ref = newStream();
      await ledger.reserve(ref, ours('mine', T0), 20);
      await ledger.markUnknown(ref, 'mine', T0 + HOUR, T0 + 1);

      const echo = { id: 'event-1', at: T0 + 2, by: 'remediator', operation: 'Start', requestId: 'req-1' } as const;
      expect(await ledger.record(ref, echo, T0 + 3)).toEqual({ recorded: false });

      expect(await ledger.calls(ref, T0 + HOUR + 1)).toEqual([{ ...ours('mine', T0), unconfirmedUntil: T0 + HOUR, requestId: 'req-1' }]);
    });

    it('notes triggers on a live lease only, and gives it back only at the generation its owner last saw', async () => {
      const ref = newStream();
      expect(await leases.noteTrigger(ref, T0)).toBeUndefined();
      await leases.acquire(ref, 'exec-a', T0, 60_000);

      expect(await leases.noteTrigger(ref, T0 + 1)).toEqual({ holder: 'exec-a', generation: 1 });
      expect(await leases.noteTrigger(ref, T0 + 2)).toEqual({ holder: 'exec-a', generation: 2 });

      expect(await leases.observe(ref, 'exec-a', T0 + 3)).toEqual({ held: true, generation: 2 });
      expect(await leases.observe(ref, 'exec-b', T0 + 3)).toEqual({ held: false, generation: 0 });
      expect(await leases.release(ref, 'exec-b', 2)).toEqual({ released: false, reason: 'not-held' });
      expect(await leases.release(ref, 'exec-a', 1)).toEqual({ released: false, reason: 'new-trigger' });
      expect(await leases.release(ref, 'exec-a', 2)).toEqual({ released: true });
      expect(await leases.release(ref, 'exec-a')).toEqual({ released: false, reason: 'not-held' });
      expect(await leases.noteTrigger(ref, T0 + 4)).toBeUndefined();
    });

    it('keeps the generation when the holder renews, and starts from 0 when the lease is taken after it expired', async () => {
      const ref = newStream();
      await leases.acquire(ref, 'exec-a', T0, 60_000);
      await leases.noteTrigger(ref, T0 + 1);
      await leases.acquire(ref, 'exec-a', T0 + 2, 60_000);
      expect(await leases.observe(ref, 'exec-a', T0 + 3)).toEqual({ held: true, generation: 1 });

      expect(await leases.noteTrigger(ref, T0 + 60_002)).toBeUndefined();
      expect(await leases.observe(ref, 'exec-a', T0 + 60_002)).toEqual({ held: false, generation: 0 });
      await leases.acquire(ref, 'exec-b', T0 + 60_002, 60_000);
      expect(await leases.observe(ref, 'exec-b', T0 + 60_003)).toEqual({ held: true, generation: 0 });
    });

    it('hands a lease over only from its current holder, afresh, and names the new holder to others', async () => {
      const ref = newStream();
      await leases.acquire(ref, 'exec-a', T0, 60_000);
      await leases.noteTrigger(ref, T0 + 1);

      expect(await leases.takeOver(ref, 'exec-x', 'exec-b', T0 + 2, 60_000)).toBe(false);
      expect(await leases.takeOver(ref, 'exec-a', 'exec-b', T0 + 3, 60_000)).toBe(true);
      expect(await leases.takeOver(ref, 'exec-a', 'exec-c', T0 + 4, 60_000)).toBe(false);

      expect(await leases.observe(ref, 'exec-a', T0 + 5)).toEqual({ held: false, generation: 0 });
      expect(await leases.observe(ref, 'exec-b', T0 + 5)).toEqual({ held: true, generation: 0 });
      const held = await leases.acquire(ref, 'exec-c', T0 + 6, 60_000).catch((e: unknown) => e);
      expect(held).toBeInstanceOf(LeaseHeldError);
      expect(held).toMatchObject({ holder: 'exec-b', expiresAt: T0 + 60_003, takenAt: T0 + 3 });
      expect(await leases.takeOver(newStream(), 'exec-a', 'exec-b', T0, 60_000)).toBe(false);
    });

    it("remembers each key's latest failure per stream, forgets one or all, and forgets them with the stream", async () => {
      const ref = newStream();
      const other = newStream();
      const arn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
      expect(await keyFailures.list(ref)).toEqual([]);

      await keyFailures.remember(ref, keyFailure('AWS_OWNED_CMK', T0));
      await keyFailures.remember(ref, keyFailure(arn, T0 + 1));
      await keyFailures.remember(ref, { ...keyFailure(arn, T0 + 2), keyState: 'KMS_KEY_DISABLED' });
      await keyFailures.remember(other, keyFailure(arn, T0 + 3));
      expect(byKey(await keyFailures.list(ref))).toEqual(
        byKey([keyFailure('AWS_OWNED_CMK', T0), { ...keyFailure(arn, T0 + 2), keyState: 'KMS_KEY_DISABLED' }]),
      );

      await keyFailures.forget(ref, arn);
      await keyFailures.forget(ref, 'never-failed');
      expect(await keyFailures.list(ref)).toEqual([keyFailure('AWS_OWNED_CMK', T0)]);
      await keyFailures.forget(ref);
      expect(await keyFailures.list(ref)).toEqual([]);

      await states.forget(other);
      expect(await keyFailures.list(other)).toEqual([]);
    });

    it('hands out and keeps copies (without undefined fields): changing what was put or read changes nothing stored', async () => {
      const ref = newStream();
      const state = { verdict: 'DEFERRED', updatedAt: T0, publishedEvents: ['Remediation Deferred'], reason: undefined };
      await states.put(ref, state);
      state.publishedEvents.push('put-then-changed');
      const read = await states.get(ref);
      (read?.publishedEvents as string[]).push('read-then-changed');
      await ledger.reserve(ref, ours('r', T0), 20);
      const calls = await ledger.calls(ref, T0);
      (calls[0] as { id: string }).id = 'changed';

      expect(await states.get(ref)).toStrictEqual({ verdict: 'DEFERRED', updatedAt: T0, publishedEvents: ['Remediation Deferred'] });
      expect(await ledger.calls(ref, T0)).toEqual([ours('r', T0)]);
    });

    it('refuses a state DynamoDB cannot hold, keeping the one before', async () => {
      const ref = newStream();
      const before: StreamState = { verdict: 'COMPLIANT', updatedAt: T0 };
      await states.put(ref, before);

      await expect(states.put(ref, { verdict: 'FAILED', updatedAt: T0 + 1, reason: 'x'.repeat(410 * 1024) })).rejects.toThrow(
        /Item size has exceeded the maximum allowed size/,
      );
      await expect(states.put(ref, { verdict: 'FAILED', updatedAt: Number.NaN })).rejects.toThrow(/NaN/);
      expect(await states.get(ref)).toEqual(before);
    });
  });
}
