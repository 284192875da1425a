import { buildEvent, type GuardEvent, type StreamPart } from '../events.ts';
import { arnOf } from '../stream-ref.ts';
import type { StreamState } from '../ports.ts';
import type { RemediationDeps } from './deps.ts';
import { refOf, type Outcome, type RemediationState } from './state.ts';

/** What an execution returns: the outcome in a few fields, and what it cost. */
export interface RemediationResult {
  stream: StreamPart;
  status: Outcome['status'];
  reason?: string;
  callsSpent: number;
  attempts: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Conclude: write the stream's state, publish the evaluated event and the outcome event (and a
 * budget-low warning), and release the lease. Reached on every path, including a task's uncaught
 * error (the state machine's Catch), which concludes as FAILED/UNEXPECTED.
 */
export async function concludeRemediation(state: RemediationState, deps: RemediationDeps): Promise<RemediationResult> {
  const ref = refOf(state);
  const now = deps.clock.now();
  const outcome: Outcome = state.outcome ?? {
    status: 'FAILED',
    reason: 'UNEXPECTED',
    details: state.error ? `${state.error.Error ?? 'Error'}: ${truncate(state.error.Cause ?? '', 900)}` : 'the workflow ended without an outcome',
  };
  const stream: StreamPart = { ...state.stream, arn: arnOf(ref) };

  if (outcome.status === 'GONE') await deps.states.forget(ref);
  else await deps.states.put(ref, streamState(outcome, now, state.correlationId));

  const events = eventsFor(state, outcome, stream, now, deps);
  await deps.publisher.publish(events);
  await deps.leases.release(ref, state.correlationId);
  return {
    stream,
    status: outcome.status,
    ...('reason' in outcome && outcome.reason ? { reason: outcome.reason } : {}),
    callsSpent: state.counters.callsSpent,
    attempts: state.counters.attempts,
  };
}

function streamState(outcome: Outcome, now: number, correlationId: string): StreamState {
  const key = 'keyType' in outcome ? { keyType: outcome.keyType, ...(outcome.keyArn ? { keyArn: outcome.keyArn } : {}) } : {};
  const reason = 'reason' in outcome && outcome.reason ? { reason: outcome.reason } : {};
  return { verdict: outcome.status, ...reason, ...key, updatedAt: now, correlationId };
}

function eventsFor(state: RemediationState, outcome: Outcome, stream: StreamPart, now: number, deps: RemediationDeps): GuardEvent[] {
  const events: GuardEvent[] = [];
  const id = state.correlationId;
  const initial = state.initial;
  events.push(
    buildEvent(
      'evaluated',
      {
        stream,
        verdict: initial?.verdict ?? (outcome.status === 'GONE' ? 'GONE' : 'REMEDIATE'),
        ...(initial?.reason ? { reason: initial.reason } : {}),
        encryption: initial?.encryption ?? { status: 'DISABLED' },
        trigger: state.trigger,
        mode: deps.policy.mode,
      },
      now,
      id,
    ),
  );
  const spent = { attempts: state.counters.attempts, callsSpent: state.counters.callsSpent };
  switch (outcome.status) {
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
          { stream, reason: outcome.reason, details: outcome.details, ...(outcome.nextAttemptAt !== undefined ? { nextAttemptAt: iso(outcome.nextAttemptAt) } : {}) },
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
