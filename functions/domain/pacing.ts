import { ENCRYPTION_SETTLE_MS } from './firehose-facts.ts';
import type { Clock, ControlPlanePacer, PacedOperation, PaceScope } from './ports.ts';

/**
 * The shared pacing, as the tasks and the sweep use it. Every Firehose control-plane call of the
 * system takes a slot from the one frontier of its account, region and operation (ControlPlanePacer),
 * so that the sweep and all workflows together stay under the quota, whoever calls:
 * - a task reserves the slots of the calls it will make; a slot within INLINE_SLOT_WAIT_MS is waited
 *   for in the Lambda, a later one in the state machine (WAIT_SLOT, a Wait state until the slot), and
 *   the task runs again then with its slots still held, so no slot is reserved twice;
 * - a call that is throttled all the same (someone else in the account uses the quota too) moves the
 *   frontier on by THROTTLE_BACKOFF_MS and waits in the state machine for a new slot: the SDK never
 *   retries a throttled call, and no Lambda spends its timeout waiting;
 * - the sweep yields: it takes a slot only while the frontier is less than SWEEP_YIELD_MS ahead, so
 *   that the workflows it starts are served first.
 */

/** The rate every scope is paced at by default: 0.95 of the 5-per-second quota, for the jitter of real calls. */
export const PACED_CALLS_PER_SECOND = 4.75;
/** A task waits for its slot in the Lambda up to this long; a later slot is waited for by the state machine. */
export const INLINE_SLOT_WAIT_MS = 3_000;
/** A slot held this long past its time is stale (its task failed and was retried): a new one is reserved. */
export const STALE_SLOT_MS = 2_000;
/** A throttled call pushes the frontier this far ahead of now. */
export const THROTTLE_BACKOFF_MS = 1_000;
/** Waits for slots in the state machine (WaitSlot, throttles included) one execution takes at most before it defers. */
export const MAX_SLOT_WAITS = 20;
/** Throttled calls one execution waits out before it defers (CONTROL_PLANE_BUSY). */
export const MAX_THROTTLE_WAITS = MAX_SLOT_WAITS;
/**
 * A frontier further ahead than this is not a queue but a clock that ran fast (a caller whose clock
 * was hours ahead): reservations restart it from now instead of queueing behind it.
 */
export const FRONTIER_HORIZON_MS = 3 * 3_600_000;
/** The sweep takes a slot only while the frontier is less than this far ahead. */
export const SWEEP_YIELD_MS = 5_000;

export interface PacingDeps {
  pacer: ControlPlanePacer;
  clock: Clock;
  sleep(ms: number): Promise<void>;
}

/** Slots a task holds across a wait, by operation (epoch ms). */
export type Slots = Partial<Record<PacedOperation, number>>;

const scopeOf = (place: { account: string; region: string }, operation: PacedOperation): PaceScope => ({
  account: place.account,
  region: place.region,
  operation,
});

/**
 * The slots of the calls a task is about to make, in the order it makes them: the ones it still holds
 * (unless stale) and new ones for the rest, each no earlier than the one before (so every call can be
 * made at its own slot). `at` is when the task should start: at its first slot, unless the last comes
 * more than INLINE_SLOT_WAIT_MS after it; `slots` also keeps held slots of other operations (a Start
 * slot held by Inspect for Enable).
 */
export async function reserveSlots(
  held: Slots | undefined,
  operations: readonly PacedOperation[],
  place: { account: string; region: string },
  deps: PacingDeps,
  options: { keepLate?: boolean } = {},
): Promise<{ slots: Slots; at: number }> {
  const now = deps.clock.now();
  const slots: Slots = { ...held };
  let first: number | undefined;
  let last = now;
  for (const operation of operations) {
    let slot = slots[operation];
    // A held slot that passed long ago is given up, unless the caller keeps it (a Start slot that passed
    // while the Inspect before it ran: reserving anew could keep the Start away forever).
    const stale = slot !== undefined && slot < now - STALE_SLOT_MS && !options.keepLate;
    if (slot === undefined || stale) slot = await deps.pacer.reserve(scopeOf(place, operation), last);
    slots[operation] = slot;
    first ??= slot;
    last = Math.max(last, slot);
  }
  // The task starts at its first slot, and waits in the Lambda for the later ones; only when they come
  // too long after it does it start later (the first call then comes after its slot).
  return { slots, at: Math.max(first ?? now, last - INLINE_SLOT_WAIT_MS) };
}

/** The slots left once a task used those of `operations`. */
export function withoutSlots(slots: Slots | undefined, operations: readonly PacedOperation[]): Slots | undefined {
  if (!slots) return undefined;
  const left = Object.fromEntries(Object.entries(slots).filter(([op]) => !operations.includes(op as PacedOperation))) as Slots;
  return Object.keys(left).length > 0 ? left : undefined;
}

/** Waits in the Lambda until `at` (at most INLINE_SLOT_WAIT_MS, by the caller's check). */
export async function waitInline(at: number, deps: PacingDeps): Promise<void> {
  const ms = at - deps.clock.now();
  if (ms > 0) await deps.sleep(ms);
}

/** After a throttled call: the frontier moves on, and a new slot is reserved after it. */
export async function slotAfterThrottle(
  operation: PacedOperation,
  place: { account: string; region: string },
  deps: PacingDeps,
): Promise<number> {
  const scope = scopeOf(place, operation);
  const now = deps.clock.now();
  await deps.pacer.backOff(scope, now + THROTTLE_BACKOFF_MS);
  return deps.pacer.reserve(scope, now);
}

/** How long the sweep should wait before its next streams, so that it yields to queued workflow calls (0: go on). */
export async function sweepYieldMs(place: { account: string; region: string }, deps: PacingDeps): Promise<number> {
  const now = deps.clock.now();
  const frontier = await deps.pacer.frontier(scopeOf(place, 'DescribeDeliveryStream'), now);
  return Math.max(0, frontier - now - SWEEP_YIELD_MS);
}

/** The ENABLING estimate's bounds (ms). */
export const ENABLING_ESTIMATE_MIN_MS = 1_000;
export const ENABLING_ESTIMATE_MAX_MS = 300_000;

/**
 * The next estimate of how long to wait before the first look after a Start. A first look that found
 * ENABLED comes 5% sooner next time, one that found ENABLING 25% later: about four first looks in five
 * then find ENABLED, so the happy path takes one poll, and the estimate follows the account's real
 * ENABLING time.
 */
export function nextEstimate(waitedMs: number, enabledByThen: boolean): number {
  const next = Math.round(enabledByThen ? waitedMs * 0.95 : waitedMs * 1.25);
  return Math.min(ENABLING_ESTIMATE_MAX_MS, Math.max(ENABLING_ESTIMATE_MIN_MS, next));
}

/** Describes a happy-path remediation takes: Inspect's, the first look after Start, and the one that confirms the settle. */
export const DESCRIBES_PER_REMEDIATION = 3;

/**
 * How many remediations to run at once (the CLI's `sweep --fix`), from the quota: enough that their
 * Describes keep the paced rate busy while each spends most of its time waiting out ENABLING
 * (`enablingSeconds`) and the settle. More would only queue on the pacing.
 */
export function workflowConcurrency(callsPerSecond: number, enablingSeconds: number): number {
  const remediationSeconds = enablingSeconds + ENCRYPTION_SETTLE_MS / 1000 + DESCRIBES_PER_REMEDIATION / callsPerSecond;
  return Math.max(1, Math.ceil((callsPerSecond * remediationSeconds) / DESCRIBES_PER_REMEDIATION));
}
