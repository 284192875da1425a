import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBudgetLedger } from '../../../functions/adapters/dynamo/budget-ledger.ts';
import { BudgetExhaustedError, LedgerContentionError } from '../../../functions/domain/errors.ts';
import { ENCRYPTION_CALL_WINDOW_MS, ENCRYPTION_CALLS_PER_WINDOW } from '../../../functions/domain/firehose-facts.ts';
import type { StreamRef } from '../../../functions/domain/stream-ref.ts';
import { createStateTable, startDynalite } from '../../support/dynamo.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

type Step = { kind: 'reservers'; count: number; advanceMs: number } | { kind: 'outside'; advanceMs: number; deliveredTwice: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('reservers' as const),
    count: fc.integer({ min: 1, max: 6 }),
    advanceMs: fc.integer({ min: 0, max: 3 * HOUR }),
  }),
  fc.record({ kind: fc.constant('outside' as const), advanceMs: fc.integer({ min: 0, max: 3 * HOUR }), deliveredTwice: fc.boolean() }),
);

/** The most calls in any 24-hour window ending at one of the calls. */
function busiestWindow(times: readonly number[]): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u > t - ENCRYPTION_CALL_WINDOW_MS && u <= t).length));
}

describe('budget ledger property: never a 26th call in any 24 hours, never past our share', () => {
  let ledger: DynamoBudgetLedger;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dynalite = await startDynalite();
    ledger = new DynamoBudgetLedger(await createStateTable(dynalite.endpoint, 'ledger-property'));
    close = dynalite.close;
  });
  afterAll(() => close());

  it('holds for concurrent reservers and outside calls in random order and timing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 50 }),
        fc.integer({ min: 1, max: ENCRYPTION_CALLS_PER_WINDOW }),
        async (steps, share) => {
          const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: `p-${randomUUID().slice(0, 12)}` };
          const ours: number[] = [];
          const everyone: number[] = [];
          let now = T0;
          for (const s of steps) {
            now += s.advanceMs;
            if (s.kind === 'reservers') {
              const at = now;
              const outcomes = await Promise.allSettled(
                Array.from({ length: s.count }, () =>
                  ledger.reserve(ref, { id: randomUUID(), at, by: 'remediator', operation: 'Start' }, share),
                ),
              );
              for (const o of outcomes) {
                if (o.status === 'fulfilled') {
                  ours.push(at);
                  everyone.push(at);
                } else if (!(o.reason instanceof BudgetExhaustedError || o.reason instanceof LedgerContentionError)) {
                  throw o.reason;
                }
              }
            } else if (busiestWindow([...everyone, now]) <= ENCRYPTION_CALLS_PER_WINDOW) {
              // Firehose accepts a person's call only while the stream has calls left; CloudTrail may deliver it twice.
              const call = { id: `event-${randomUUID()}`, at: now, by: 'other' as const, operation: 'Stop' as const };
              await ledger.record(ref, call, now);
              if (s.deliveredTwice) await ledger.record(ref, call, now);
              everyone.push(now);
            }
          }
          expect(busiestWindow(everyone)).toBeLessThanOrEqual(ENCRYPTION_CALLS_PER_WINDOW);
          expect(busiestWindow(ours)).toBeLessThanOrEqual(share);
          const status = await ledger.status(ref, now, share);
          expect(status.total).toBe(everyone.filter((t) => t > now - ENCRYPTION_CALL_WINDOW_MS).length);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
