import { acceptedKey, decideStream, nextKeyAfterFor, type StreamDescription, type TargetKey } from '../decision.ts';
import type { StreamPlace } from '../policy.ts';
import { decisionReason } from '../events.ts';
import { classifyEnableFailure } from '../failure-classes.ts';
import { LeaseHeldError } from '../errors.ts';
import type { KeyCheck, KeyFailure, PacedOperation } from '../ports.ts';
import { afterThrottle, atSlot, controlPlaneBusy, takeSlots, throttled } from './paced-calls.ts';
import { THROTTLE_BACKOFF_MS } from '../pacing.ts';
import { LEASE_SECONDS } from './bounds.ts';
import type { InspectDeps, KeyMemoryDeps, RemediationDeps } from './deps.ts';
import { conclude, goTo, initialOf, keyLabel, protectedFrom, refOf, settle, verdictOutcome, type RemediationState } from './state.ts';
import { ENCRYPTABLE_STREAM_TYPE } from '../firehose-facts.ts';

/**
 * Inspect: the fresh look that every verdict and every Start stands on. It notes the lease's trigger
 * generation (what this look covers), describes the stream, reads its tags, and lets the policy decide:
 * - COMPLIANT is published only after the settle: a stream first seen ENABLED now (after our Start,
 *   or after anyone's Start in the last 24 hours) waits 5 seconds and is looked at again;
 * - NOT_APPLICABLE, EXEMPT and GONE conclude; BUSY waits and looks again (bounded);
 * - REMEDIATE goes to Enable with a key chosen now, past the keys known to fail for this stream
 *   (unless their state has changed), or concludes when none is left. A failed key change that left
 *   the stream encrypted with an old key the policy accepts is COMPLIANT, with no Start.
 */
export async function inspectStream(held: RemediationState, deps: InspectDeps): Promise<RemediationState> {
  // The look that confirms a settle needs the status and key only: the tags were read before the Start.
  const confirming = held.enabledSeenAt !== undefined;
  const calls: PacedOperation[] = confirming ? ['DescribeDeliveryStream'] : ['DescribeDeliveryStream', 'ListTagsForDeliveryStream'];
  const slots = await takeSlots(held, calls, 'INSPECT', deps);
  if ('wait' in slots) return slots.wait;
  const state = slots.ready;
  const { settings, policy } = deps;
  const now = deps.clock.now();
  const counters = { ...state.counters, inspections: state.counters.inspections + 1 };
  const current: RemediationState = { ...state, counters, detectedAt: Number.isFinite(state.detectedAt) ? state.detectedAt : now };
  if (counters.inspections > settings.maxInspections && ((state.throttleWaits ?? 0) > 0 || (state.slotWaits ?? 0) > 0)) {
    // The looks were spent waiting for, or going around, the account's busy quota: not the stream's doing.
    return controlPlaneBusy(
      current,
      now + THROTTLE_BACKOFF_MS,
      `waited for slots ${state.slotWaits ?? 0} times, throttled ${state.throttleWaits ?? 0} times in ${settings.maxInspections} inspections`,
      now,
    );
  }
  if (counters.inspections > settings.maxInspections) {
    return conclude(current, {
      status: 'DEFERRED',
      reason: 'STREAM_BUSY',
      details: `stream still not settled after ${settings.maxInspections} inspections`,
    });
  }
  const ref = refOf(current);
  const leaseGeneration = await leaseGenerationFor(current, deps, now);
  if (leaseGeneration === undefined) {
    return conclude(current, {
      status: 'DEFERRED',
      reason: 'STREAM_BUSY',
      details: "another execution holds the stream's lease: it looks at the stream instead",
    });
  }
  let description: StreamDescription | undefined;
  let tags: Record<string, string> = {};
  try {
    description = await atSlot(slots.at.DescribeDeliveryStream, deps, () => deps.firehose.describe(ref));
  } catch (error) {
    const limited = throttled(error);
    if (limited) return afterThrottle(state, 'DescribeDeliveryStream', 'INSPECT', limited, deps);
    throw error;
  }
  try {
    if (description?.type === ENCRYPTABLE_STREAM_TYPE && !confirming)
      tags = await atSlot(slots.at.ListTagsForDeliveryStream, deps, () => deps.firehose.tags(ref));
  } catch (error) {
    const limited = throttled(error);
    if (limited) return afterThrottle(state, 'ListTagsForDeliveryStream', 'INSPECT', limited, deps);
    throw error;
  }
  const decision = decideStream(description, tags, policy, placeOf(current));
  const encryption = {
    status: description?.encryption.status ?? 'DISABLED',
    ...(description?.encryption.keyType ? { keyType: description.encryption.keyType } : {}),
    ...(description?.encryption.keyArn ? { keyArn: description.encryption.keyArn } : {}),
  };
  const looked: RemediationState = { ...current, leaseGeneration };
  const withInitial: RemediationState = looked.initial
    ? looked
    : { ...looked, initial: initialOf(decision, encryption, decisionReason(decision)) };
  // A settle counts only for one enablement: while every look since it began showed ENABLED with an
  // accepted key, and no trigger and no Start or Stop came in between (a Stop and a new Start during the
  // wait look the same to Describe, but start a new 5 seconds).
  const { enabledSeenAt, ...unsettled } = withInitial;
  const sameEnablement =
    decision.verdict === 'COMPLIANT' &&
    (enabledSeenAt === undefined || (leaseGeneration === state.leaseGeneration && !(await callsSince(current, deps, enabledSeenAt, now))));
  const next: RemediationState = sameEnablement ? withInitial : unsettled;

  switch (decision.verdict) {
    case 'COMPLIANT': {
      const key = toTarget(decision);
      if (!sameEnablement) return settle(next, now);
      if (enabledSeenAt !== undefined && now >= protectedFrom(enabledSeenAt))
        return conclude(next, verdictOutcome(next, key, policy, enabledSeenAt));
      // The stream may have become ENABLED within the last 5 seconds: after our Start, after anyone's Start
      // the ledger knows of, or by a change Describe dates within the settle (a Start whose CloudTrail
      // event never reached us), or when Describe gives no date at all.
      const changedLately = description?.lastUpdatedAt === undefined || now - description.lastUpdatedAt < protectedFrom(0);
      if (enabledSeenAt !== undefined || next.counters.callsSpent > 0 || changedLately || (await startedRecently(next, deps, now)))
        return settle(next, now);
      return conclude(next, verdictOutcome(next, key, policy, now));
    }
    case 'NOT_APPLICABLE':
    case 'EXEMPT':
    case 'GONE': {
      const reason = decisionReason(decision);
      return conclude(next, { status: decision.verdict, ...(reason ? { reason } : {}) });
    }
    case 'BUSY': {
      const busyWaits = next.counters.busyWaits + 1;
      if (busyWaits > settings.maxBusyWaits) {
        return conclude(next, {
          status: 'DEFERRED',
          reason: 'STREAM_BUSY',
          details: `stream ${decision.streamStatus} with encryption ${decision.encryptionStatus} after ${settings.maxBusyWaits} waits`,
        });
      }
      return goTo({ ...next, counters: { ...next.counters, busyWaits } }, 'WAIT_BUSY', { seconds: settings.busyWaitSeconds });
    }
    case 'REMEDIATE': {
      if (policy.mode === 'audit') {
        return conclude(next, {
          status: 'DEFERRED',
          reason: 'AUDIT_MODE',
          details: `${decision.reason}: audit mode reports without remediating`,
        });
      }
      // One enforcing stage per account and region: where another stage holds the claim, this one reports only.
      const holder = await deps.claims?.heldByOther(placeOf(next));
      if (holder !== undefined) {
        const { account, region } = placeOf(next);
        return conclude(next, {
          status: 'DEFERRED',
          reason: 'AUDIT_MODE',
          details: `${decision.reason}: ${holder} enforces in ${account}/${region} (/firehose-sse-guard/enforcing-stage); this stage only reports there`,
        });
      }
      const kept = await keyKeptAfterFailedChange(description as StreamDescription, next, deps, now);
      const keptAccepted =
        kept && acceptedKey(kept.keyType, kept.keyType === 'CUSTOMER_MANAGED_CMK' ? kept.keyArn : undefined, policy, placeOf(next));
      if (kept && keptAccepted) {
        // "If ... the attempt to change the CMK failed ... encryption remains enabled with the old CMK."
        const failure = description?.encryption.failure;
        return conclude(next, {
          status: 'COMPLIANT',
          keyType: kept.keyType,
          ...(kept.keyType === 'CUSTOMER_MANAGED_CMK' ? { keyArn: kept.keyArn } : {}),
          viaFallback: keptAccepted === 'fallback',
          keyChangeFailed: {
            failureType: failure?.type ?? 'UNKNOWN_ERROR',
            details: failure?.details ?? 'ENABLING_FAILED after a key change',
          },
        });
      }
      const previousKey =
        kept ??
        (description?.encryption.status === 'ENABLED' && description.encryption.keyType
          ? toTarget(description.encryption)
          : next.previousKey);
      if (!kept) await rememberDescribedFailure(description as StreamDescription, next, deps, now);
      if (!decision.target) {
        // No key of the policy can serve this stream's region and account: nothing to call Firehose with.
        return conclude(next, {
          status: 'FAILED',
          reason: 'CONFIGURATION',
          details: decision.noKeyReason,
          ...(previousKey ? { stillEncryptedWith: previousKey } : {}),
        });
      }
      const unusableKeys = await knownUnusableKeys(next, deps);
      const target = usableTarget(decision.target, unusableKeys, deps, placeOf(next));
      if (!target) {
        return conclude(
          { ...next, unusableKeys },
          {
            status: 'FAILED',
            reason: 'KEY_PROBLEM',
            details: `no usable key left: ${unusableKeys.join(', ')}`,
            ...(previousKey ? { stillEncryptedWith: previousKey } : {}),
          },
        );
      }
      return goTo({ ...next, unusableKeys, target, reason: decision.reason, ...(previousKey ? { previousKey } : {}) }, 'ENABLE');
    }
  }
}

/** The policy's preferred key, or the next in order for the stream's place that is not known to fail for it. */
export function usableTarget(
  preferred: TargetKey,
  unusable: readonly string[],
  deps: Pick<RemediationDeps, 'policy'>,
  place: StreamPlace,
): TargetKey | undefined {
  let candidate: TargetKey | undefined = preferred;
  while (candidate && unusable.includes(keyLabel(candidate))) candidate = nextKeyAfterFor(candidate, deps.policy, place);
  return candidate;
}

/** Where the stream lives: keys are chosen for its account and region. */
export const placeOf = (state: RemediationState): StreamPlace => ({ account: state.stream.account, region: state.stream.region });

/** What the KMS pre-flight check says of a key, as a state to compare later: 'usable', a failure type, or 'unknown'. */
export function keyStateOf(check: KeyCheck): string {
  return check.usable === true ? 'usable' : check.usable === false ? check.failureType : 'unknown';
}

/** The current state of a key ('n/a' for the AWS owned key, which has no state we can read). */
export async function currentKeyState(key: TargetKey, deps: Pick<RemediationDeps, 'keys'>): Promise<string> {
  return key.keyType === 'CUSTOMER_MANAGED_CMK' ? keyStateOf(await deps.keys.check(key.keyArn)) : 'n/a';
}

/** Remembers that `key` failed for the stream, with the key's state then; never tried again until that changes. */
export async function rememberKeyFailure(
  state: RemediationState,
  key: TargetKey,
  failureType: string,
  details: string,
  deps: KeyMemoryDeps,
  keyState?: string,
): Promise<void> {
  const failure: KeyFailure = {
    key: keyLabel(key),
    failureType,
    details: details.slice(0, 1024),
    at: deps.clock.now(),
    keyState: keyState ?? (await currentKeyState(key, deps)),
  };
  await deps.keyFailures.remember(refOf(state), failure);
}

/**
 * The keys not to try for this stream: those found unusable in this execution, and those remembered
 * across executions whose state has not changed since they failed. A remembered customer managed key
 * that the pre-flight check now finds usable, after it found it unusable when it failed, is forgotten
 * (an operator fixed it); one whose failure the check could not see stays until an operator clears it.
 */
async function knownUnusableKeys(state: RemediationState, deps: KeyMemoryDeps): Promise<string[]> {
  const unusable = new Set(state.unusableKeys);
  for (const failure of await deps.keyFailures.list(refOf(state))) {
    if (unusable.has(failure.key)) continue;
    // Only a key that the check found unusable when it failed, and finds usable now, has changed.
    // One it could not ask about then ('unknown') is not known to have changed: it stays.
    if (failure.key !== 'AWS_OWNED_CMK' && failure.keyState !== 'usable' && failure.keyState !== 'unknown') {
      const now = keyStateOf(await deps.keys.check(failure.key));
      if (now === 'usable') {
        await deps.keyFailures.forget(refOf(state), failure.key);
        continue;
      }
    }
    unusable.add(failure.key);
  }
  return [...unusable];
}

/**
 * A FailureDescription that Describe already shows for a key (someone's failed Start, or an earlier
 * one of ours) is remembered when the key is unusable now, so that no sweep pays for it again.
 */
async function rememberDescribedFailure(
  description: StreamDescription,
  state: RemediationState,
  deps: KeyMemoryDeps,
  now: number,
): Promise<void> {
  const { encryption } = description;
  if (encryption.status !== 'ENABLING_FAILED' || !encryption.failure || !encryption.keyType) return;
  if (classifyEnableFailure(encryption.failure.type) !== 'KEY_PROBLEM') return;
  const key = toTarget(encryption);
  if (key.keyType !== 'CUSTOMER_MANAGED_CMK') return;
  const known = (await deps.keyFailures.list(refOf(state))).some((f) => f.key === key.keyArn);
  if (known) return;
  const keyState = await currentKeyState(key, deps);
  if (keyState === 'usable') return;
  await deps.keyFailures.remember(refOf(state), {
    key: key.keyArn,
    failureType: encryption.failure.type,
    details: encryption.failure.details.slice(0, 1024),
    at: now,
    keyState,
  });
}

/**
 * ENABLING_FAILED after a key change: the key Describe shows is the old one, still in effect. Known
 * when this execution or the stream's last verdict saw the stream ENABLED with that very key.
 */
async function keyKeptAfterFailedChange(
  description: StreamDescription,
  state: RemediationState,
  deps: Pick<RemediationDeps, 'states' | 'ledger' | 'keys'>,
  now: number,
): Promise<TargetKey | undefined> {
  const { encryption } = description;
  if (encryption.status !== 'ENABLING_FAILED' || !encryption.keyType) return undefined;
  const shown = toTarget(encryption);
  const same = (key: { keyType?: string; keyArn?: string } | undefined) =>
    key?.keyType === shown.keyType && (shown.keyType === 'AWS_OWNED_CMK' || key.keyArn === shown.keyArn);
  // When the stream was last seen ENABLED with that very key: in this execution, or by the last verdict.
  let seenAt: number | undefined;
  if (same(state.previousKey) || (state.initial?.encryption.status === 'ENABLED' && same(state.initial.encryption)))
    seenAt = state.detectedAt;
  else {
    const last = await deps.states.get(refOf(state));
    if (last && (last.verdict === 'COMPLIANT' || last.verdict === 'REMEDIATED') && same(last)) seenAt = last.updatedAt;
  }
  if (seenAt === undefined) return undefined;
  // Not kept if encryption was stopped since (the failed Start then was a first enablement that failed,
  // and Describe shows the key it tried), nor if the key cannot be in effect (the KMS check refuses it).
  const stoppedSince = (await deps.ledger.calls(refOf(state), now)).some((call) => call.operation === 'Stop' && call.at >= seenAt - 1_000);
  if (stoppedSince) return undefined;
  if (shown.keyType === 'CUSTOMER_MANAGED_CMK' && (await deps.keys.check(shown.keyArn)).usable === false) return undefined;
  return shown;
}

/** Whether the ledger holds a Start or Stop (anyone's) made after `since`. */
async function callsSince(state: RemediationState, deps: Pick<RemediationDeps, 'ledger'>, since: number, now: number): Promise<boolean> {
  return (await deps.ledger.calls(refOf(state), now)).some((call) => call.at > since);
}

/** Whether anyone's Start in the last 24 hours may have turned encryption on within the settle time. */
async function startedRecently(state: RemediationState, deps: Pick<RemediationDeps, 'ledger'>, now: number): Promise<boolean> {
  return (await deps.ledger.calls(refOf(state), now)).some((call) => call.operation === 'Start');
}

/**
 * The lease's generation this look covers. The execution normally holds the stream's lease (the intake
 * took it); one started without it (a test, the CLI) takes it now. Undefined: another execution has it.
 */
async function leaseGenerationFor(
  state: RemediationState,
  deps: Pick<RemediationDeps, 'leases'>,
  now: number,
): Promise<number | undefined> {
  const ref = refOf(state);
  const view = await deps.leases.observe(ref, state.correlationId, now);
  if (view.held) return view.generation;
  try {
    await deps.leases.acquire(ref, state.correlationId, now, LEASE_SECONDS * 1000);
    return 0;
  } catch (error) {
    if (error instanceof LeaseHeldError) return undefined;
    throw error;
  }
}

function toTarget(key: { keyType?: 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK'; keyArn?: string }): TargetKey {
  return key.keyType === 'CUSTOMER_MANAGED_CMK' && key.keyArn
    ? { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key.keyArn }
    : { keyType: 'AWS_OWNED_CMK' };
}
