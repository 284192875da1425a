import { buildEvent } from '../events.ts';
import type { TargetKey } from '../decision.ts';
import {
  BudgetExhaustedError,
  FirehoseBudgetSpentError,
  InvalidRequestError,
  KeyCapacityError,
  KeyUnusableError,
  ServiceCallError,
  StreamBusyError,
  StreamGoneError,
  TransientServiceError,
} from '../errors.ts';
import { arnOf } from '../stream-ref.ts';
import { UNCONFIRMED_CALL_MS, type BudgetStatus } from '../budget.ts';
import type { EnableDeps, RemediationDeps } from './deps.ts';
import { keyStateOf, placeOf, rememberKeyFailure, usableTarget } from './inspect.ts';
import { conclude, goTo, keyLabel, refOf, type RemediationState } from './state.ts';
import { afterThrottle, atSlot, takeSlots, throttled } from './paced-calls.ts';

/** When Firehose says the budget is spent but the ledger cannot say until when: look again after this. */
const UNKNOWN_BUDGET_RETRY_MS = 3_600_000;

/**
 * Enable, reached only from Inspect (the fresh look of this loop iteration): check a customer managed
 * key first, reserve one call in the budget ledger, call StartDeliveryStreamEncryption once, tie the
 * reservation to Firehose's request id, and only then say "Remediation Started".
 *
 * A spent budget waits (when the next call is within the horizon) or defers; it never calls Firehose
 * past the budget. Retrying this task after a transient error is safe: the reservation id is the
 * same for the same attempt, so a retry never reserves a second call. A Start that Firehose refused
 * gives its reservation back, so the ledger equals the calls Firehose accepted; only a call whose
 * fate is unknown (a 5xx or a lost connection) keeps it.
 */
export async function enableEncryption(held: RemediationState, deps: EnableDeps): Promise<RemediationState> {
  // A Start slot further off than a Lambda waits goes back through Inspect (a Start stands on a fresh look), holding the slot.
  const slot = await takeSlots(held, ['StartDeliveryStreamEncryption'], 'INSPECT', deps, { keepLate: true });
  if ('wait' in slot) return slot.wait;
  const state = slot.ready;
  const { clock, policy } = deps;
  const ref = refOf(state);
  const target = state.target;
  if (!target) return conclude(state, { status: 'FAILED', reason: 'INVALID', details: 'Enable reached without a target key' });

  if (target.keyType === 'CUSTOMER_MANAGED_CMK') {
    const check = await deps.keys.check(target.keyArn);
    if (check.usable === false) {
      await rememberKeyFailure(state, target, check.failureType, check.details, deps, keyStateOf(check));
      return nextKeyOrFail(state, target, check.failureType, check.details, deps);
    }
  }

  const attempt = state.counters.attempts + 1;
  const reservationId = `${state.correlationId}#${attempt}`;
  const now = clock.now();
  const earlier = await startedBefore(state, reservationId, target, deps, now);
  if (earlier) return earlier;
  let budget;
  try {
    budget = await deps.ledger.reserve(ref, { id: reservationId, at: now, by: 'remediator', operation: 'Start' }, policy.budget.share);
  } catch (error) {
    if (!(error instanceof BudgetExhaustedError)) throw error;
    return budgetSpent(state, error.nextAvailableAt, error.message, deps);
  }

  let requestId: string | undefined;
  try {
    ({ requestId } = await atSlot(slot.at.StartDeliveryStreamEncryption, deps, () => deps.firehose.startEncryption(ref, target)));
  } catch (error) {
    return startRefused(state, error, reservationId, deps);
  }
  if (requestId) await deps.ledger.confirm(ref, reservationId, requestId, now);
  const counters = { ...state.counters, attempts: attempt, callsSpent: state.counters.callsSpent + 1, polls: 0 };
  // Said only of a Start that Firehose accepted. A retry of this task after a failed publish does not
  // call again: the reservation (by attempt) and Firehose's ResourceInUse (ENABLING) stop it.
  await publishStarted(state, target, attempt, budget, now, deps);
  const low =
    budget.remainingOurs <= policy.budget.lowThreshold
      ? { budgetLow: { remainingOurs: budget.remainingOurs, remainingTotal: budget.remainingTotal } }
      : {};
  const budgetRemaining = { ours: budget.remainingOurs, total: budget.remainingTotal };
  // The first look comes when ENABLING typically ends here (learnt by Check), then Check backs off.
  const firstLookAfterMs = (await deps.estimates.typical(ref)) ?? deps.settings.pollSeconds * 1000;
  const lookDueAt = now + firstLookAfterMs;
  return goTo({ ...state, counters, reservationId, budgetRemaining, ...low, startedAt: now, firstLookAfterMs, lookDueAt }, 'POLL', {
    seconds: firstLookAfterMs / 1000,
  });
}

async function publishStarted(
  state: RemediationState,
  target: TargetKey,
  attempt: number,
  budget: BudgetStatus,
  now: number,
  deps: Pick<EnableDeps, 'publisher'>,
): Promise<void> {
  const stream = { ...state.stream, arn: arnOf(refOf(state)) };
  const key = target.keyType === 'CUSTOMER_MANAGED_CMK' ? { keyType: target.keyType, keyArn: target.keyArn } : { keyType: target.keyType };
  await deps.publisher.publish([
    buildEvent(
      'remediationStarted',
      {
        stream,
        reason: state.reason ?? 'ENCRYPTION_DISABLED',
        key,
        attempts: attempt,
        budget: { remainingOurs: budget.remainingOurs, remainingTotal: budget.remainingTotal },
      },
      now,
      state.correlationId,
    ),
  ]);
}

/**
 * This very attempt ran before and may have called Start: its reservation is there, unconfirmed (the
 * task crashed between the call and the confirmation, and Step Functions retried it). When Describe
 * shows the call took effect (ENABLING, or the target key in place), it is counted as ours (its
 * CloudTrail echo confirms it) and polled, never called again; otherwise the attempt goes on.
 */
async function startedBefore(
  state: RemediationState,
  reservationId: string,
  target: TargetKey,
  deps: EnableDeps,
  now: number,
): Promise<RemediationState | undefined> {
  const ref = refOf(state);
  const reservation = (await deps.ledger.calls(ref, now)).find((c) => c.id === reservationId);
  if (!reservation || reservation.requestId !== undefined || reservation.unconfirmedUntil !== undefined) return undefined;
  const encryption = (await deps.firehose.describe(ref))?.encryption;
  const withTarget = encryption?.keyType === target.keyType && (target.keyType === 'AWS_OWNED_CMK' || encryption.keyArn === target.keyArn);
  if (
    !encryption ||
    !(encryption.status === 'ENABLING' || ((encryption.status === 'ENABLED' || encryption.status === 'ENABLING_FAILED') && withTarget))
  )
    return undefined;
  await deps.ledger.markUnknown(ref, reservationId, now + UNCONFIRMED_CALL_MS, now);
  const attempt = state.counters.attempts + 1;
  const counters = { ...state.counters, attempts: attempt, callsSpent: state.counters.callsSpent + 1, polls: 0 };
  const budget = await deps.ledger.status(ref, now, deps.policy.budget.share);
  await publishStarted(state, target, attempt, budget, now, deps);
  // No lesson for the ENABLING estimate from this attempt: when the call was made is not known exactly.
  const { startedAt: _startedAt, firstLookAfterMs: _first, lookDueAt: _due, ...unlearnt } = state;
  return goTo({ ...unlearnt, counters, reservationId }, 'POLL', { seconds: deps.settings.pollSeconds });
}

/**
 * A key that cannot work: look again (Inspect) and try the next approved key or the fallback, else
 * fail (no budget spent on it). The next Start is preceded by a fresh Inspect, like every Start.
 */
export function nextKeyOrFail(
  state: RemediationState,
  failed: TargetKey,
  failureType: string,
  details: string,
  deps: Pick<RemediationDeps, 'policy'>,
): RemediationState {
  const unusableKeys = [...new Set([...state.unusableKeys, keyLabel(failed)])];
  const next = usableTarget(failed, unusableKeys, deps, placeOf(state));
  if (next) return goTo({ ...state, unusableKeys }, 'INSPECT');
  return conclude(
    { ...state, unusableKeys },
    {
      status: 'FAILED',
      reason: 'KEY_PROBLEM',
      failureType,
      details,
      ...(state.previousKey ? { stillEncryptedWith: state.previousKey } : {}),
    },
  );
}

function budgetSpent(
  state: RemediationState,
  nextAvailableAt: number,
  details: string,
  deps: Pick<RemediationDeps, 'settings' | 'clock'>,
): RemediationState {
  const { settings, clock } = deps;
  const budgetWaits = state.counters.budgetWaits + 1;
  if (nextAvailableAt - clock.now() <= settings.budgetWaitHorizonSeconds * 1000 && budgetWaits <= settings.maxBudgetWaits) {
    // Wait until the oldest call has aged out (plus a second, so it really has), then look again.
    return goTo({ ...state, counters: { ...state.counters, budgetWaits } }, 'WAIT_BUDGET', { until: nextAvailableAt + 1000 });
  }
  return conclude(state, { status: 'DEFERRED', reason: 'BUDGET_SPENT', details, nextAttemptAt: nextAvailableAt });
}

async function startRefused(state: RemediationState, error: unknown, reservationId: string, deps: EnableDeps): Promise<RemediationState> {
  const ref = refOf(state);
  const now = deps.clock.now();
  const target = state.target as TargetKey;
  // Firehose answered with a refusal: the call was not accepted (the gateway never retries a write, so
  // no earlier try of it can have succeeded). Only an unknown outcome keeps the reservation.
  if (error instanceof ServiceCallError && !(error instanceof TransientServiceError && error.outcomeUnknown))
    await deps.ledger.release(ref, reservationId, now);
  else await deps.ledger.markUnknown(ref, reservationId, now + UNCONFIRMED_CALL_MS, now);
  if (error instanceof StreamGoneError) return conclude(state, { status: 'GONE', reason: 'deleted during remediation' });
  if (error instanceof StreamBusyError) return goTo(state, 'WAIT_BUSY', { seconds: deps.settings.busyWaitSeconds });
  if (error instanceof KeyUnusableError) {
    await rememberKeyFailure(state, target, 'INVALID_KMS_KEY', error.message, deps);
    return nextKeyOrFail(state, target, 'INVALID_KMS_KEY', error.message, deps);
  }
  if (error instanceof KeyCapacityError) {
    const unusableKeys = [...new Set([...state.unusableKeys, keyLabel(target)])];
    const next = usableTarget(target, unusableKeys, deps, placeOf(state));
    if (next) return goTo({ ...state, unusableKeys }, 'INSPECT');
    return conclude(state, { status: 'DEFERRED', reason: 'KEY_CAPACITY', details: error.message });
  }
  if (error instanceof FirehoseBudgetSpentError) {
    // Firehose counted calls the ledger did not see (CloudTrail not yet delivered): defer; the echoes fill the ledger.
    return conclude(state, {
      status: 'DEFERRED',
      reason: 'BUDGET_SPENT',
      details: error.message,
      nextAttemptAt: now + UNKNOWN_BUDGET_RETRY_MS,
    });
  }
  if (error instanceof InvalidRequestError) return conclude(state, { status: 'FAILED', reason: 'INVALID', details: error.message });
  // Throttled: Firehose did not take the call (its reservation is given back above); a new slot, then a fresh look.
  const limited = throttled(error);
  if (limited) return afterThrottle(state, 'StartDeliveryStreamEncryption', 'INSPECT', limited, deps);
  throw error;
}
