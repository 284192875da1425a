import { EventPublishError } from '../errors.ts';
import { buildEvent, type GuardEvent, type StreamPart } from '../events.ts';
import { arnOf, type StreamRef } from '../stream-ref.ts';
import type { StreamState } from '../ports.ts';
import { MAX_CONCLUDE_ROUNDS } from './bounds.ts';
import type { ConcludeDeps } from './deps.ts';
import { refOf, type Outcome, type RemediationState } from './state.ts';

/** What an execution returns: the outcome in a few fields, and what it cost. */
export interface RemediationResult {
  /** The state machine's Choice after Conclude ends the execution on DONE. */
  phase: 'DONE';
  stream: StreamPart;
  status: Outcome['status'];
  reason?: string;
  callsSpent: number;
  attempts: number;
  /** When the stream's workflow runs again by itself (a deferral or failure), ISO 8601. */
  retryAt?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const HOUR_MS = 3_600_000;
/** When a failure comes back by itself: soon for what may pass, later for what needs a person. */
export const FAILED_RETRY_MS = { transient: HOUR_MS, needsChange: 6 * HOUR_MS } as const;
/** A deferral without a time of its own (a busy stream, a key at capacity) comes back after this. */
export const DEFERRED_RETRY_MS = 15 * 60_000;
/** Triggers that arrived after the last round: the follow-up runs this soon. */
export const FOLLOW_UP_MS = 60_000;
/** A GONE stream's state is kept this long (for a retried Conclude), then expires. */
const GONE_STATE_TTL_MS = 24 * HOUR_MS;

/**
 * Conclude: the outcome, told once and truly.
 * 1. If a trigger arrived on the stream's lease since the last Inspect, nothing is said: the workflow
 *    looks again (Inspect), a bounded number of rounds.
 * 2. The stream's state is written with an outcome id, and the outcome's events are published; the
 *    state item records which were delivered, so a retried Conclude publishes none of them twice.
 * 3. A deferral or failure schedules its own retry.
 * 4. The lease is given back at the generation it saw; a trigger that slipped in after the outcome was
 *    told gets a follow-up execution at once (never a second outcome from this one).
 * A Conclude that no longer holds the lease (a retry after it gave it back) only finishes delivering
 * its own recorded outcome: it never writes over what another execution concluded since. Out of
 * rounds, a verdict that the newest triggers may contradict is not told: DEFERRED, followed up at once.
 * Reached on every path, including a task's uncaught error (the Catch), which is FAILED/UNEXPECTED.
 * The cleanup calls it with its own `outcomeId`, after it gave the lease back itself.
 */
export async function concludeRemediation(
  state: RemediationState,
  deps: ConcludeDeps,
  options: { outcomeId?: string } = {},
): Promise<RemediationResult | RemediationState> {
  const ref = refOf(state);
  const now = deps.clock.now();
  const rounds = state.rounds ?? 0;
  const outcomeId = options.outcomeId ?? `${state.correlationId}#${rounds}`;
  const stream: StreamPart = { ...state.stream, arn: arnOf(ref) };
  const cleanup = options.outcomeId !== undefined;
  let outcome: Outcome = state.outcome ?? {
    status: 'FAILED',
    reason: 'UNEXPECTED',
    details: state.error
      ? `${state.error.Error ?? 'Error'}: ${truncate(state.error.Cause ?? '', 900)}`
      : 'the workflow ended without an outcome',
  };
  let seen = 0;
  let followUp = false;
  if (!cleanup) {
    const lease = await deps.leases.observe(ref, state.correlationId, now);
    if (!lease.held) {
      const recorded = await deps.states.get(ref);
      if (recorded?.outcomeId === outcomeId) {
        await deliverOutbox(ref, recorded, deps);
        return resultOf(state, stream, outcome, recorded.retryAt);
      }
      if (state.leaseGeneration !== undefined) {
        // This execution held the lease and gave it back (or lost it): whatever was concluded since stands.
        return resultOf(state, stream, outcome, recorded?.retryAt);
      }
    } else {
      seen = lease.generation;
      if (seen !== (state.leaseGeneration ?? 0)) {
        // Triggers arrived since the last look: look again, while rounds are left and there was a look.
        if (rounds < MAX_CONCLUDE_ROUNDS && state.leaseGeneration !== undefined) return lookAgain(state);
        followUp = true;
        if (outcome.status === 'COMPLIANT' || outcome.status === 'REMEDIATED') {
          outcome = {
            status: 'DEFERRED',
            reason: 'STREAM_BUSY',
            details: 'triggers kept arriving while the workflow concluded: a follow-up looks again',
            nextAttemptAt: now + FOLLOW_UP_MS,
          };
        }
      }
    }
  }

  const retryAt = retryTimeOf(outcome, now);
  await recordAndPublish(
    ref,
    outcomeId,
    streamState(outcome, now, state.correlationId, outcomeId, retryAt),
    eventsFor(state, outcome, stream, now, deps),
    deps,
  );
  if (retryAt !== undefined)
    await deps.scheduler.schedule(ref, retryAt, `${outcome.status} ${'reason' in outcome ? (outcome.reason ?? '') : ''}`.trim(), outcomeId);
  if (followUp)
    await deps.scheduler.schedule(ref, now + FOLLOW_UP_MS, 'triggers arrived while the workflow concluded', `${outcomeId}#follow-up`);

  if (!cleanup) {
    const released = await deps.leases.release(ref, state.correlationId, seen);
    if (!released.released && released.reason === 'new-trigger') {
      // A trigger after the outcome was told: a follow-up execution takes it, this one says nothing more.
      await deps.scheduler.schedule(ref, now + FOLLOW_UP_MS, 'triggers arrived while the workflow concluded', `${outcomeId}#follow-up`);
      await deps.leases.release(ref, state.correlationId);
    }
  }
  return resultOf(state, stream, outcome, retryAt);
}

function resultOf(state: RemediationState, stream: StreamPart, outcome: Outcome, retryAt: number | undefined): RemediationResult {
  return {
    phase: 'DONE',
    stream,
    status: outcome.status,
    ...('reason' in outcome && outcome.reason ? { reason: outcome.reason } : {}),
    callsSpent: state.counters.callsSpent,
    attempts: state.counters.attempts,
    ...(retryAt !== undefined ? { retryAt: iso(retryAt) } : {}),
  };
}

/** Back to Inspect, for another round: nothing of this round's outcome is kept. */
function lookAgain(state: RemediationState): RemediationState {
  const { outcome: _outcome, error: _error, wait: _wait, enabledSeenAt: _seen, ...rest } = state;
  return { ...rest, rounds: (state.rounds ?? 0) + 1, phase: 'INSPECT' };
}

/** When the stream's workflow comes back by itself, if it must. */
export function retryTimeOf(outcome: Outcome, now: number): number | undefined {
  if (outcome.status === 'DEFERRED') {
    if (outcome.reason === 'AUDIT_MODE') return undefined;
    return Math.max(now + 1_000, outcome.nextAttemptAt ?? now + DEFERRED_RETRY_MS);
  }
  if (outcome.status === 'FAILED') {
    const needsChange = outcome.reason === 'KEY_PROBLEM' || outcome.reason === 'CONFIGURATION' || outcome.reason === 'INVALID';
    return now + (needsChange ? FAILED_RETRY_MS.needsChange : FAILED_RETRY_MS.transient);
  }
  return undefined;
}

/**
 * Writes the state with the outcome's events (its outbox), then publishes what this outcome has not
 * yet delivered, and records what was. A retry (or the cleanup, see finishConclusion) delivers exactly
 * the events of the first attempt that are still undelivered, so nothing is published twice.
 */
async function recordAndPublish(
  ref: StreamRef,
  outcomeId: string,
  record: StreamState,
  events: GuardEvent[],
  deps: ConcludeDeps,
): Promise<void> {
  const before = await deps.states.get(ref);
  if (before?.outcomeId === outcomeId) {
    await deliverOutbox(ref, before, deps);
    return;
  }
  const fresh: StreamState = { ...record, publishedEvents: [], outbox: events };
  await deps.states.put(ref, fresh);
  await deliverOutbox(ref, fresh, deps);
}

/** Publishes the undelivered events of a recorded outcome, and records which were delivered. */
async function deliverOutbox(ref: StreamRef, record: StreamState, deps: ConcludeDeps): Promise<void> {
  const delivered = new Set(record.publishedEvents ?? []);
  const pending = (record.outbox ?? []).filter((e) => !delivered.has(e.detailType));
  if (pending.length === 0) return;
  const save = async () => {
    const { outbox, ...rest } = record;
    const all = (outbox ?? []).every((e) => delivered.has(e.detailType));
    await deps.states.put(ref, { ...rest, publishedEvents: [...delivered], ...(all ? {} : { outbox }) });
  };
  try {
    await deps.publisher.publish(pending);
  } catch (error) {
    if (!(error instanceof EventPublishError)) throw error;
    for (const type of error.delivered) delivered.add(type);
    await save();
    throw error;
  }
  for (const e of pending) delivered.add(e.detailType);
  await save();
}

/**
 * For the cleanup: when the execution had recorded its outcome (Conclude wrote the state) but could
 * not deliver all of its events, deliver the rest, so the execution still tells exactly one outcome.
 * True when the execution's conclusion was recorded.
 */
export async function finishConclusion(ref: StreamRef, executionName: string, deps: ConcludeDeps): Promise<boolean> {
  const record = await deps.states.get(ref);
  if (!record?.outcomeId?.startsWith(`${executionName}#`) || record.outcomeId === `${executionName}#cleanup`) return false;
  await deliverOutbox(ref, record, deps);
  return true;
}

function streamState(outcome: Outcome, now: number, correlationId: string, outcomeId: string, retryAt: number | undefined): StreamState {
  const key = 'keyType' in outcome ? { keyType: outcome.keyType, ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}) } : {};
  const reason = 'reason' in outcome && outcome.reason ? { reason: outcome.reason } : {};
  const gone = outcome.status === 'GONE' ? { expiresAt: Math.ceil((now + GONE_STATE_TTL_MS) / 1000) } : {};
  const retry = retryAt !== undefined ? { retryAt } : {};
  return { verdict: outcome.status, ...reason, ...key, updatedAt: now, correlationId, outcomeId, ...retry, ...gone };
}

function eventsFor(state: RemediationState, outcome: Outcome, stream: StreamPart, now: number, deps: ConcludeDeps): GuardEvent[] {
  const events: GuardEvent[] = [];
  const id = state.correlationId;
  const initial = state.initial;
  // The verdict of the workflow's last look, with the encryption it saw: a remediated stream is
  // COMPLIANT and ENABLED with its key (the Describe after the settle showed it), not what it was.
  const fixed = outcome.status === 'REMEDIATED' || outcome.status === 'COMPLIANT';
  const lastLook = fixed
    ? {
        verdict: 'COMPLIANT' as const,
        encryption: { status: 'ENABLED' as const, keyType: outcome.keyType, ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}) },
      }
    : {
        verdict:
          outcome.status === 'GONE' || outcome.status === 'EXEMPT' || outcome.status === 'NOT_APPLICABLE'
            ? outcome.status
            : (initial?.verdict ?? 'REMEDIATE'),
        ...(initial?.reason ? { reason: initial.reason } : {}),
        encryption: initial?.encryption ?? { status: 'DISABLED' as const },
      };
  events.push(
    buildEvent('evaluated', { stream, ...lastLook, trigger: state.trigger, mode: deps.policy.mode, evaluatedBy: 'workflow' }, now, id),
  );
  const spent = { attempts: state.counters.attempts, callsSpent: state.counters.callsSpent };
  switch (outcome.status) {
    case 'COMPLIANT':
      if (outcome.keyChangeFailed) {
        const key = { keyType: outcome.keyType, ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}) };
        events.push(buildEvent('keyChangeFailed', { stream, ...outcome.keyChangeFailed, key }, now, id));
      }
      break;
    case 'REMEDIATED': {
      const detectedAt = Number.isFinite(state.detectedAt) ? state.detectedAt : now;
      events.push(
        buildEvent(
          'remediationSucceeded',
          {
            stream,
            key: { keyType: outcome.keyType, ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}) },
            attempts: Math.max(1, spent.attempts),
            callsSpent: spent.callsSpent,
            viaFallback: outcome.viaFallback,
            detectedAt: iso(detectedAt),
            protectedAt: iso(outcome.protectedAt),
            timeToCompliantSeconds: Math.max(0, (outcome.protectedAt - detectedAt) / 1000),
          },
          now,
          id,
        ),
      );
      break;
    }
    case 'DEFERRED':
      events.push(
        buildEvent(
          'remediationDeferred',
          {
            stream,
            reason: outcome.reason,
            details: outcome.details,
            ...(outcome.nextAttemptAt !== undefined ? { nextAttemptAt: iso(outcome.nextAttemptAt) } : {}),
          },
          now,
          id,
        ),
      );
      break;
    case 'FAILED':
      events.push(
        buildEvent(
          'remediationFailed',
          {
            stream,
            reason: outcome.reason,
            details: truncate(outcome.details, 1024),
            ...(outcome.failureType ? { failureType: outcome.failureType } : {}),
            ...(outcome.stillEncryptedWith ? { stillEncryptedWith: outcome.stillEncryptedWith } : {}),
            ...spent,
          },
          now,
          id,
        ),
      );
      break;
    default:
      break;
  }
  if (state.budgetLow) {
    events.push(
      buildEvent(
        'budgetLow',
        {
          stream,
          remainingOurs: state.budgetLow.remainingOurs,
          remainingTotal: state.budgetLow.remainingTotal,
          threshold: deps.policy.budget.lowThreshold,
          ...(state.budgetLow.nextAvailableAt !== undefined ? { nextAvailableAt: iso(state.budgetLow.nextAvailableAt) } : {}),
        },
        now,
        id,
      ),
    );
  }
  return events;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
