import { RateLimitedError } from '../errors.ts';
import {
  INLINE_SLOT_WAIT_MS,
  MAX_SLOT_WAITS,
  MAX_THROTTLE_WAITS,
  reserveSlots,
  slotAfterThrottle,
  waitInline,
  withoutSlots,
  type PacingDeps,
  type Slots,
} from '../pacing.ts';
import type { PacedOperation } from '../ports.ts';
import { conclude, goTo, type RemediationState } from './state.ts';

/**
 * The most an execution waits for slots in the state machine, in all. Past it the queue of calls in
 * the account is longer than a remediation should wait: it is deferred to a scheduled retry, visibly,
 * instead of waiting without bound (functions/domain/remediation/bounds.ts counts this wait).
 */
export const MAX_SLOT_WAIT_MS = 3_600_000;

type Resume = NonNullable<RemediationState['resume']>;

/**
 * Before a task's Firehose calls: their slots of the shared pacing. `ready` is the state to go on
 * with (the slots it used dropped, any other held slot kept) and `at` the slot of each call (made
 * with atSlot); `wait` is the WAIT_SLOT state when the task's start is further off than a Lambda
 * should wait: the task runs again then (`resume`), holding the slots.
 */
export async function takeSlots(
  state: RemediationState,
  operations: readonly PacedOperation[],
  resume: Resume,
  deps: PacingDeps,
  options: { keepLate?: boolean } = {},
): Promise<{ ready: RemediationState; at: Slots } | { wait: RemediationState }> {
  const { slots, at } = await reserveSlots(state.slots, operations, state.stream, deps, options);
  const now = deps.clock.now();
  if (at - now > INLINE_SLOT_WAIT_MS) return { wait: slotWait({ ...state, slots }, at, resume, now) };
  const { slots: _held, resume: _resume, ...rest } = state;
  const left = withoutSlots(slots, operations);
  return { ready: { ...rest, ...(left ? { slots: left } : {}) }, at: slots };
}

/** Makes a paced call at its slot (waiting in the Lambda until then: takeSlots saw to it that this is short). */
export async function atSlot<T>(slot: number | undefined, deps: PacingDeps, call: () => Promise<T>): Promise<T> {
  if (slot !== undefined) await waitInline(slot, deps);
  return call();
}

/**
 * A call was throttled all the same (someone else in the account uses the quota too): the frontier
 * moves on for every caller, and the task waits in the state machine for a new slot. The call was
 * not made, so nothing else changes.
 */
export async function afterThrottle(
  state: RemediationState,
  operation: PacedOperation,
  resume: Resume,
  error: RateLimitedError,
  deps: PacingDeps,
): Promise<RemediationState> {
  const throttleWaits = (state.throttleWaits ?? 0) + 1;
  const slot = await slotAfterThrottle(operation, state.stream, deps);
  // Beyond the bound, the account's quota is taken by someone else: the remediation is deferred to a
  // scheduled retry, visibly, rather than failed (nothing went wrong with the stream).
  if (throttleWaits > MAX_THROTTLE_WAITS)
    return controlPlaneBusy(state, slot, `${error.message} (${MAX_THROTTLE_WAITS} throttled calls waited out)`, deps.clock.now());
  return slotWait({ ...state, throttleWaits, slots: { ...state.slots, [operation]: slot } }, slot, resume, deps.clock.now());
}

/** The error a paced call fails with when it was throttled, or undefined. */
export const throttled = (error: unknown): RateLimitedError | undefined => (error instanceof RateLimitedError ? error : undefined);

function slotWait(state: RemediationState, at: number, resume: Resume, now: number): RemediationState {
  const slotWaitedMs = (state.slotWaitedMs ?? 0) + Math.max(0, at - now);
  const slotWaits = (state.slotWaits ?? 0) + 1;
  if (slotWaits > MAX_SLOT_WAITS)
    return controlPlaneBusy(
      state,
      at,
      `waited for slots of the account's Firehose calls ${MAX_SLOT_WAITS} times in the state machine`,
      now,
    );
  if (slotWaitedMs > MAX_SLOT_WAIT_MS)
    return controlPlaneBusy(
      state,
      at,
      `the account's queue of Firehose calls would keep this remediation waiting for its slots more than ${MAX_SLOT_WAIT_MS / 60_000} minutes`,
      now,
    );
  return goTo({ ...state, resume, slotWaitedMs, slotWaits }, 'WAIT_SLOT', { until: at });
}

/**
 * A deferral for a busy quota comes back no sooner than this: someone else holds the account's
 * quota, and coming back at once would spend it on more throttled calls.
 */
export const CONTROL_PLANE_BUSY_RETRY_MS = 15 * 60_000;

/** Deferred: the account's Firehose quota is too busy for this remediation now; it comes back at `at`, 15 minutes on at the soonest. */
export function controlPlaneBusy(state: RemediationState, at: number, details: string, now: number): RemediationState {
  const { slots: _slots, resume: _resume, ...rest } = state;
  return conclude(rest, {
    status: 'DEFERRED',
    reason: 'CONTROL_PLANE_BUSY',
    details,
    nextAttemptAt: Math.max(at, now + CONTROL_PLANE_BUSY_RETRY_MS),
  });
}
