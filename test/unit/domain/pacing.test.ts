import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../functions/domain/errors.ts';
import {
  ENABLING_ESTIMATE_MAX_MS,
  ENABLING_ESTIMATE_MIN_MS,
  INLINE_SLOT_WAIT_MS,
  MAX_THROTTLE_WAITS,
  nextEstimate,
  PACED_CALLS_PER_SECOND,
  reserveSlots,
  slotAfterThrottle,
  STALE_SLOT_MS,
  SWEEP_YIELD_MS,
  sweepYieldMs,
  THROTTLE_BACKOFF_MS,
  waitInline,
  withoutSlots,
  workflowConcurrency,
  type PacingDeps,
} from '../../../functions/domain/pacing.ts';
import type { PacedOperation } from '../../../functions/domain/ports.ts';
import {
  afterThrottle,
  CONTROL_PLANE_BUSY_RETRY_MS,
  MAX_SLOT_WAIT_MS,
  takeSlots,
} from '../../../functions/domain/remediation/paced-calls.ts';
import { DEFAULT_WORKFLOW_SETTINGS, startState, type RemediationState } from '../../../functions/domain/remediation/state.ts';
import { MemoryControlPlanePacer } from '../../../local/memory-pacer.ts';

const T0 = Date.UTC(2026, 10, 1);
const PLACE = { account: '123456789012', region: 'us-east-1' };
const INTERVAL = 211; // ceil(1000 / 4.75)
const scope = (operation: PacedOperation) => ({ ...PLACE, operation });
const TAGS: PacedOperation = 'ListTagsForDeliveryStream';
const DESCRIBE: PacedOperation = 'DescribeDeliveryStream';
const START: PacedOperation = 'StartDeliveryStreamEncryption';

/** A pacer at the paced rate, a clock standing at `now` that sleeping moves on, and the sleeps taken. */
function pacing(now = T0): PacingDeps & { pacer: MemoryControlPlanePacer; slept: number[]; at(ms: number): void } {
  let t = now;
  const slept: number[] = [];
  return {
    pacer: new MemoryControlPlanePacer(PACED_CALLS_PER_SECOND),
    clock: { now: () => t },
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
    slept,
    at: (ms) => {
      t = ms;
    },
  };
}

const inspecting = (): RemediationState =>
  startState({ stream: { ...PLACE, name: 'orders' }, trigger: 'stream-created', detectedAt: T0, correlationId: 'exec-1' });

describe('reserveSlots: the slots of the calls a task makes', () => {
  it('takes a slot per call, at now on idle frontiers, and starts the task at once', async () => {
    const deps = pacing();

    const { slots, at } = await reserveSlots(undefined, [DESCRIBE, TAGS], PLACE, deps);

    expect(slots).toEqual({ [DESCRIBE]: T0, [TAGS]: T0 });
    expect(at).toBe(T0);
    expect(await deps.pacer.frontier(scope(DESCRIBE), T0)).toBe(T0 + INTERVAL);
    expect(await deps.pacer.frontier(scope(TAGS), T0)).toBe(T0 + INTERVAL);
  });

  it('gives each call a slot no earlier than the one before, so the calls can be made in order', async () => {
    const deps = pacing();
    await deps.pacer.backOff(scope(DESCRIBE), T0 + 2_000);

    const { slots, at } = await reserveSlots(undefined, [DESCRIBE, TAGS], PLACE, deps);

    // ListTags' own frontier is idle, but its call comes after the Describe's.
    expect(slots).toEqual({ [DESCRIBE]: T0 + 2_000, [TAGS]: T0 + 2_000 });
    expect(at).toBe(T0 + 2_000);
  });

  it('starts at the first slot while the last comes within INLINE_SLOT_WAIT_MS of it', async () => {
    const deps = pacing();
    await deps.pacer.backOff(scope(TAGS), T0 + INLINE_SLOT_WAIT_MS);

    const { slots, at } = await reserveSlots(undefined, [DESCRIBE, TAGS], PLACE, deps);

    expect(slots).toEqual({ [DESCRIBE]: T0, [TAGS]: T0 + INLINE_SLOT_WAIT_MS });
    expect(at).toBe(T0);
  });

  it('starts later when the last slot is more than INLINE_SLOT_WAIT_MS after the first: the Lambda never waits longer', async () => {
    const deps = pacing();
    await deps.pacer.backOff(scope(TAGS), T0 + 10_000);

    const { slots, at } = await reserveSlots(undefined, [DESCRIBE, TAGS], PLACE, deps);

    expect(slots).toEqual({ [DESCRIBE]: T0, [TAGS]: T0 + 10_000 });
    expect(at).toBe(T0 + 10_000 - INLINE_SLOT_WAIT_MS);
  });

  it('keeps the slots a task still holds, reserving none twice, and keeps those of other operations', async () => {
    const deps = pacing();

    const { slots, at } = await reserveSlots({ [DESCRIBE]: T0 + 500, [START]: T0 + 900 }, [DESCRIBE, TAGS], PLACE, deps);

    expect(slots).toEqual({ [DESCRIBE]: T0 + 500, [TAGS]: T0 + 500, [START]: T0 + 900 });
    expect(at).toBe(T0 + 500);
    expect(await deps.pacer.frontier(scope(DESCRIBE), T0)).toBe(T0);
    expect(await deps.pacer.frontier(scope(START), T0)).toBe(T0);
  });

  it('reserves again a held slot more than STALE_SLOT_MS in the past (its task failed and was retried)', async () => {
    const deps = pacing();
    const stale = T0 - STALE_SLOT_MS - 1;
    const late = T0 - STALE_SLOT_MS;

    const { slots } = await reserveSlots({ [DESCRIBE]: stale, [TAGS]: late }, [DESCRIBE, TAGS], PLACE, deps);

    expect(slots).toEqual({ [DESCRIBE]: T0, [TAGS]: late });
    expect(await deps.pacer.frontier(scope(DESCRIBE), T0)).toBe(T0 + INTERVAL);
    expect(await deps.pacer.frontier(scope(TAGS), T0)).toBe(T0);
  });

  it('with no calls to make, starts now and keeps what it holds', async () => {
    const deps = pacing();
    expect(await reserveSlots({ [START]: T0 + 5 }, [], PLACE, deps)).toEqual({ slots: { [START]: T0 + 5 }, at: T0 });
  });
});

describe('withoutSlots', () => {
  it('drops the slots used and keeps the rest, or nothing when none is left', () => {
    expect(withoutSlots(undefined, [DESCRIBE])).toBeUndefined();
    expect(withoutSlots({ [DESCRIBE]: 1, [START]: 2 }, [DESCRIBE, TAGS])).toEqual({ [START]: 2 });
    expect(withoutSlots({ [DESCRIBE]: 1, [TAGS]: 2 }, [DESCRIBE, TAGS])).toBeUndefined();
  });
});

describe('waiting for a slot, throttles and the sweep', () => {
  it('waits inline only for a slot still to come', async () => {
    const deps = pacing();
    await waitInline(T0 + 800, deps);
    await waitInline(T0 - 5, deps);
    expect(deps.slept).toEqual([800]);
  });

  it('after a throttle, pushes the frontier THROTTLE_BACKOFF_MS ahead for every caller and reserves the slot after it', async () => {
    const deps = pacing();

    expect(await slotAfterThrottle(DESCRIBE, PLACE, deps)).toBe(T0 + THROTTLE_BACKOFF_MS);
    expect(await deps.pacer.reserve(scope(DESCRIBE), T0)).toBe(T0 + THROTTLE_BACKOFF_MS + INTERVAL);
    // A frontier already further on is not pulled back.
    expect(await slotAfterThrottle(DESCRIBE, PLACE, deps)).toBe(T0 + THROTTLE_BACKOFF_MS + 2 * INTERVAL);
  });

  it('makes the sweep yield while the Describe frontier is more than SWEEP_YIELD_MS ahead, by the excess', async () => {
    const deps = pacing();
    expect(await sweepYieldMs(PLACE, deps)).toBe(0);
    await deps.pacer.backOff(scope(DESCRIBE), T0 + SWEEP_YIELD_MS);
    expect(await sweepYieldMs(PLACE, deps)).toBe(0);
    await deps.pacer.backOff(scope(DESCRIBE), T0 + SWEEP_YIELD_MS + 1_500);
    expect(await sweepYieldMs(PLACE, deps)).toBe(1_500);
  });
});

describe('takeSlots and afterThrottle: where a task waits', () => {
  it('goes on at once with a near slot, the slots it used dropped', async () => {
    const deps = pacing();
    const taken = await takeSlots({ ...inspecting(), slots: { [START]: T0 + 100 } }, [DESCRIBE, TAGS], 'INSPECT', deps);
    expect(taken).toMatchObject({ ready: { phase: 'INSPECT', slots: { [START]: T0 + 100 } }, at: { [DESCRIBE]: T0, [TAGS]: T0 } });
  });

  it('waits in the state machine (WAIT_SLOT) for a slot further off than a Lambda waits, holding it', async () => {
    const deps = pacing();
    await deps.pacer.backOff(scope(DESCRIBE), T0 + INLINE_SLOT_WAIT_MS + 1);

    const taken = await takeSlots(inspecting(), [DESCRIBE], 'CHECK', deps);

    expect(taken).toEqual({
      wait: expect.objectContaining({
        phase: 'WAIT_SLOT',
        resume: 'CHECK',
        slots: { [DESCRIBE]: T0 + INLINE_SLOT_WAIT_MS + 1 },
        slotWaitedMs: INLINE_SLOT_WAIT_MS + 1,
        wait: { id: 1, until: new Date(T0 + INLINE_SLOT_WAIT_MS + 1).toISOString() },
      }),
    });
    expect(deps.slept).toEqual([]);
  });

  it(`defers (CONTROL_PLANE_BUSY) rather than wait for slots more than ${MAX_SLOT_WAIT_MS / 3_600_000} h in all`, async () => {
    const deps = pacing();
    await deps.pacer.backOff(scope(DESCRIBE), T0 + 60_000);

    const taken = await takeSlots({ ...inspecting(), slotWaitedMs: MAX_SLOT_WAIT_MS - 59_999 }, [DESCRIBE], 'INSPECT', deps);

    expect(taken).toEqual({
      wait: expect.objectContaining({
        phase: 'CONCLUDE',
        // The slot is a minute away, but a busy quota is not retried sooner than CONTROL_PLANE_BUSY_RETRY_MS.
        outcome: expect.objectContaining({
          status: 'DEFERRED',
          reason: 'CONTROL_PLANE_BUSY',
          nextAttemptAt: T0 + CONTROL_PLANE_BUSY_RETRY_MS,
        }),
      }),
    });
    expect('wait' in taken && taken.wait.slots).toBeUndefined();
  });

  it('waits out a throttled call in the state machine, and after MAX_THROTTLE_WAITS defers (CONTROL_PLANE_BUSY) with a retry', async () => {
    const deps = pacing();
    const error = new RateLimitedError('DescribeDeliveryStream orders: LimitExceededException: Rate exceeded');

    const waiting = await afterThrottle(inspecting(), DESCRIBE, 'INSPECT', error, deps);

    expect(waiting).toMatchObject({
      phase: 'WAIT_SLOT',
      resume: 'INSPECT',
      throttleWaits: 1,
      slots: { [DESCRIBE]: T0 + THROTTLE_BACKOFF_MS },
      wait: { until: new Date(T0 + THROTTLE_BACKOFF_MS).toISOString() },
    });
    const busy = await afterThrottle({ ...inspecting(), throttleWaits: MAX_THROTTLE_WAITS }, DESCRIBE, 'INSPECT', error, deps);
    expect(busy).toMatchObject({ phase: 'CONCLUDE', outcome: { status: 'DEFERRED', reason: 'CONTROL_PLANE_BUSY' } });
    expect(busy.outcome).toMatchObject({ nextAttemptAt: expect.any(Number), details: expect.stringContaining('Rate exceeded') });
    expect(busy.slots).toBeUndefined();
  });
});

describe('nextEstimate: the wait before the first look after a Start', () => {
  it('comes 5% sooner after a look that found ENABLED, 25% later after one that found ENABLING, in whole ms', () => {
    expect(nextEstimate(20_000, true)).toBe(19_000);
    expect(nextEstimate(20_000, false)).toBe(25_000);
    expect(nextEstimate(10_001, true)).toBe(9_501);
    expect(Number.isInteger(nextEstimate(12_345, false))).toBe(true);
  });

  it('stays between 1 s and 300 s', () => {
    expect(nextEstimate(1_000, true)).toBe(ENABLING_ESTIMATE_MIN_MS);
    expect(nextEstimate(250_000, false)).toBe(ENABLING_ESTIMATE_MAX_MS);
    expect([ENABLING_ESTIMATE_MIN_MS, ENABLING_ESTIMATE_MAX_MS]).toEqual([1_000, 300_000]);
  });

  /**
   * 200 remediations in a row, with a fixed true ENABLING time, each learning as Check does: the first
   * look comes after the estimate (pollSeconds before anything was learnt); ENABLED teaches "long
   * enough", ENABLING "too short".
   */
  function simulate(enablingMs: number, remediations = 200): { estimates: number[]; enabled: boolean[] } {
    let estimate: number | undefined;
    const estimates: number[] = [];
    const enabled: boolean[] = [];
    for (let i = 0; i < remediations; i += 1) {
      const wait = estimate ?? DEFAULT_WORKFLOW_SETTINGS.pollSeconds * 1000;
      const found = wait >= enablingMs;
      estimates.push(wait);
      enabled.push(found);
      estimate = nextEstimate(wait, found);
    }
    return { estimates, enabled };
  }

  it.each([3_000, 20_000, 90_000])(
    'settles near a true ENABLING time of %i ms, so that about 4 first looks in 5 find ENABLED',
    (enablingMs) => {
      const { estimates, enabled } = simulate(enablingMs);
      const settled = estimates.slice(50);
      const settledFound = enabled.slice(50);

      // Never far from the truth: at most 5% short of it, at most 25% beyond.
      for (const estimate of settled) {
        expect(estimate).toBeGreaterThanOrEqual(enablingMs * 0.95 - 1);
        expect(estimate).toBeLessThan(enablingMs * 1.25 + 1);
      }
      const share = settledFound.filter(Boolean).length / settledFound.length;
      expect(share).toBeGreaterThan(0.7);
      expect(share).toBeLessThan(0.9);
      // On average the first look comes little after ENABLING ended.
      const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
      expect(mean / enablingMs).toBeGreaterThan(1);
      expect(mean / enablingMs).toBeLessThan(1.15);
    },
  );
});

describe('workflowConcurrency: remediations at once, from the quota', () => {
  const DESCRIBES = 3;
  const SETTLE_S = 5;

  it('runs 41 at once at the paced 4.75 per second with a 20 s ENABLING', () => {
    // 20 s ENABLING + 5 s settle + 3 Describes at 4.75/s = 25.63 s; 4.75 x 25.63 / 3 = 40.6.
    expect(workflowConcurrency(PACED_CALLS_PER_SECOND, 20)).toBe(41);
  });

  it.each([
    [PACED_CALLS_PER_SECOND, 0],
    [PACED_CALLS_PER_SECOND, 20],
    [PACED_CALLS_PER_SECOND, 300],
    [1, 20],
    [50, 60],
  ])('at %d calls per second and %d s ENABLING, enough to keep the Describes busy, and not one more', (rate, enablingSeconds) => {
    const n = workflowConcurrency(rate, enablingSeconds);
    const remediationSeconds = enablingSeconds + SETTLE_S + DESCRIBES / rate;
    const describesPerSecond = (k: number) => (k * DESCRIBES) / remediationSeconds;

    expect(Number.isInteger(n)).toBe(true);
    expect(describesPerSecond(n)).toBeGreaterThanOrEqual(rate);
    expect(describesPerSecond(n - 1)).toBeLessThan(rate);
  });

  it('runs at least one, and more where ENABLING lasts longer or the quota is larger', () => {
    for (const [rate, enablingSeconds] of [
      [0.01, 0],
      [1, 0],
      [PACED_CALLS_PER_SECOND, 0],
    ] as const)
      expect(workflowConcurrency(rate, enablingSeconds)).toBeGreaterThanOrEqual(1);
    expect(workflowConcurrency(PACED_CALLS_PER_SECOND, 60)).toBeGreaterThan(workflowConcurrency(PACED_CALLS_PER_SECOND, 20));
    expect(workflowConcurrency(10, 20)).toBeGreaterThan(workflowConcurrency(PACED_CALLS_PER_SECOND, 20));
  });
});
