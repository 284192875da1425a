import { randomUUID } from 'node:crypto';
import { FRONTIER_HORIZON_MS } from '../../functions/domain/pacing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlanePacer, EnablingEstimates, PacedOperation, PaceScope } from '../../functions/domain/ports.ts';

const T0 = Date.UTC(2026, 10, 1);

/** A pacer of one backend at a given rate; every pacer a backend makes shares its storage (one state table). */
export interface PacerBackend {
  pacer(callsPerSecond: number): ControlPlanePacer & EnablingEstimates;
  close(): Promise<void>;
}

export interface PacerSuiteOptions {
  /**
   * How many of the 50 reservers race at once (default all 50). DynamoDB serialises the writes to one
   * item; moto_server 5.x (threaded) does not: concurrent UpdateItems of one item read the same old
   * value, even a plain `SET n = n + :one` (47 distinct of 50 in a check). On such a backend the
   * reservers come one at a time, so its run checks the conditional updates, not moto's locking.
   */
  racers?: number;
}

/**
 * The shared pacing's behaviour (ControlPlanePacer and EnablingEstimates), written once and run on
 * every implementation: the DynamoDB pacer on dynalite (npm test) and on moto_server (conformance),
 * and the in-memory pacer of the CLI and the local account. Intervals are whole milliseconds, never
 * shorter than the rate allows: 4.75 calls per second is one slot every 211 ms, 3 per second every 334 ms.
 */
export function describePacer(backendName: string, start: () => Promise<PacerBackend>, options: PacerSuiteOptions = {}): void {
  const racers = options.racers ?? 50;
  describe(`control-plane pacer on ${backendName}`, () => {
    let backend: PacerBackend;
    beforeAll(async () => {
      backend = await start();
    });
    afterAll(() => backend.close());

    // Each test paces its own account, so tests on one table never share a frontier.
    const newAccount = () => `acct-${randomUUID().slice(0, 8)}`;
    const scopeOf = (account: string, operation: PacedOperation = 'DescribeDeliveryStream', region = 'us-east-1'): PaceScope => ({
      account,
      region,
      operation,
    });

    it(`gives 50 reservers, ${racers} at once, distinct slots exactly one interval apart, the first at now`, async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());

      const slots: number[] = [];
      let started = 0;
      const racer = async () => {
        while (started < 50) {
          started += 1;
          slots.push(await pacer.reserve(scope, T0));
        }
      };
      await Promise.all(Array.from({ length: racers }, racer));

      expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => T0 + i * 211));
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 50 * 211);
    });

    it('hands out slots in the order they are reserved, never faster than the rate (whole ms, rounded up)', async () => {
      const pacer = backend.pacer(3);
      const scope = scopeOf(newAccount());

      const slots: number[] = [];
      for (let i = 0; i < 6; i += 1) slots.push(await pacer.reserve(scope, T0 + i));

      expect(slots).toEqual([T0, T0 + 334, T0 + 668, T0 + 1002, T0 + 1336, T0 + 1670]);
      for (let i = 1; i < slots.length; i += 1) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(1000 / 3);
    });

    it('never gives a slot before now: a frontier behind now restarts at now', async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());
      for (let i = 0; i < 3; i += 1) await pacer.reserve(scope, T0);
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 3 * 211);

      const later = T0 + 10_000;
      expect(await pacer.reserve(scope, later)).toBe(later);
      expect(await pacer.reserve(scope, later)).toBe(later + 211);
      // Reserved "from the past" (a caller with an older now), the slot is still no earlier than the frontier.
      expect(await pacer.reserve(scope, T0)).toBe(later + 2 * 211);
    });

    it('gives the slot at now when the frontier is exactly now', async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());
      await pacer.reserve(scope, T0);

      expect(await pacer.reserve(scope, T0 + 211)).toBe(T0 + 211);
      expect(await pacer.frontier(scope, T0 + 211)).toBe(T0 + 422);
    });

    it('paces each operation, region and account on its own frontier', async () => {
      const pacer = backend.pacer(4.75);
      const account = newAccount();
      const busy = scopeOf(account);
      for (let i = 0; i < 5; i += 1) await pacer.reserve(busy, T0);

      const others = [
        scopeOf(account, 'ListTagsForDeliveryStream'),
        scopeOf(account, 'StartDeliveryStreamEncryption'),
        scopeOf(account, 'ListDeliveryStreams'),
        scopeOf(account, 'DescribeDeliveryStream', 'eu-west-1'),
        scopeOf(newAccount()),
      ];
      for (const other of others) expect(await pacer.reserve(other, T0), `${other.account}/${other.region}/${other.operation}`).toBe(T0);
      expect(await pacer.reserve(busy, T0)).toBe(T0 + 5 * 211);
    });

    it('tells the frontier without reserving it', async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());
      expect(await pacer.frontier(scope, T0)).toBe(T0);
      expect(await pacer.frontier(scope, T0)).toBe(T0);

      expect(await pacer.reserve(scope, T0)).toBe(T0);
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 211);
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 211);
      expect(await pacer.reserve(scope, T0)).toBe(T0 + 211);
      // A frontier behind now is now.
      expect(await pacer.frontier(scope, T0 + 60_000)).toBe(T0 + 60_000);
    });

    // Review finding: "One fast clock blocks the account for as long as its skew": a caller 3 hours fast
    // set the frontier 3 hours ahead, and every other caller queued behind it.
    it('restarts a frontier further ahead than FRONTIER_HORIZON_MS (a fast clock set it) instead of queueing behind it', async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());
      const fastClock = T0 + FRONTIER_HORIZON_MS + 60_000;
      expect(await pacer.reserve(scope, fastClock)).toBe(fastClock);

      expect(await pacer.frontier(scope, T0)).toBe(T0);
      expect(await pacer.reserve(scope, T0)).toBe(T0);
      expect(await pacer.reserve(scope, T0)).toBe(T0 + 211);
      // A frontier within the horizon is a queue: it is kept.
      await pacer.backOff(scope, T0 + 60_000);
      expect(await pacer.reserve(scope, T0)).toBe(T0 + 60_000);
    });

    it('backs off only forward: an earlier `until` never pulls the frontier back', async () => {
      const pacer = backend.pacer(4.75);
      const scope = scopeOf(newAccount());
      await pacer.backOff(scope, T0 + 5_000);
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 5_000);
      expect(await pacer.reserve(scope, T0)).toBe(T0 + 5_000);

      await pacer.backOff(scope, T0 + 1_000);
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 5_211);
      await pacer.backOff(scope, T0 + 5_211);
      expect(await pacer.reserve(scope, T0)).toBe(T0 + 5_211);

      await pacer.backOff(scope, T0 + 9_000);
      expect(await pacer.reserve(scope, T0 + 2_000)).toBe(T0 + 9_000);
      // Backing off one scope leaves the others alone.
      expect(await pacer.frontier(scope, T0)).toBe(T0 + 9_211);
      expect(await pacer.frontier(scopeOf(scope.account, 'ListTagsForDeliveryStream'), T0)).toBe(T0);
    });

    it('learns the ENABLING estimate per account and region: 5% sooner when ENABLED by then, 25% later when not', async () => {
      const pacer = backend.pacer(4.75);
      const place = { account: newAccount(), region: 'us-east-1' };
      expect(await pacer.typical(place)).toBeUndefined();

      await pacer.learn(place, 20_000, true);
      expect(await pacer.typical(place)).toBe(19_000);
      await pacer.learn(place, 19_000, false);
      expect(await pacer.typical(place)).toBe(23_750);

      expect(await pacer.typical({ ...place, region: 'eu-west-1' })).toBeUndefined();
      expect(await pacer.typical({ account: newAccount(), region: 'us-east-1' })).toBeUndefined();
    });

    it('keeps the estimate between 1 s and 300 s', async () => {
      const pacer = backend.pacer(4.75);
      const place = { account: newAccount(), region: 'us-east-1' };
      await pacer.learn(place, 600, true);
      expect(await pacer.typical(place)).toBe(1_000);
      await pacer.learn(place, 290_000, false);
      expect(await pacer.typical(place)).toBe(300_000);
    });

    it('keeps the estimate and the frontiers apart, though they share a partition', async () => {
      const pacer = backend.pacer(4.75);
      const account = newAccount();
      const place = { account, region: 'us-east-1' };
      await pacer.learn(place, 20_000, true);
      for (let i = 0; i < 4; i += 1) await pacer.reserve(scopeOf(account), T0);
      await pacer.backOff(scopeOf(account, 'StartDeliveryStreamEncryption'), T0 + 50_000);

      expect(await pacer.typical(place)).toBe(19_000);
      expect(await pacer.reserve(scopeOf(account), T0)).toBe(T0 + 4 * 211);
    });

    it('refuses a rate that is not positive', () => {
      for (const rate of [0, -1, Number.NaN]) expect(() => backend.pacer(rate), String(rate)).toThrow(RangeError);
    });
  });
}
