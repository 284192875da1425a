import { acceptedKey, type RemediationReason, type StreamDecision, type TargetKey, type Verdict } from '../decision.ts';
import type { GuardPolicy } from '../policy.ts';
import { ENCRYPTION_SETTLE_MS, type EncryptionStatus, type KeyType } from '../firehose-facts.ts';
import { MalformedEventError } from '../errors.ts';
import { TRIGGERS, type DeferredReason, type FailedReason, type Trigger } from '../events.ts';
import { streamRef, type StreamRef } from '../stream-ref.ts';
import type { WorkflowInput } from '../shapes.ts';

/** Where the state machine goes next; the ASL's Choice states route on it. */
export type Phase = 'INSPECT' | 'WAIT_BUSY' | 'ENABLE' | 'WAIT_RETRY' | 'WAIT_BUDGET' | 'POLL' | 'SETTLE' | 'CONCLUDE';

export type OutcomeStatus = 'COMPLIANT' | 'REMEDIATED' | 'NOT_APPLICABLE' | 'EXEMPT' | 'GONE' | 'DEFERRED' | 'FAILED';

/** How a workflow ended; Conclude turns it into the stream's state and the outcome event. */
export type Outcome =
  | {
      status: 'COMPLIANT';
      keyType: KeyType;
      keyArn?: string;
      viaFallback: boolean;
      /** A key change that failed left the stream encrypted with this (accepted) key. */
      keyChangeFailed?: { failureType: string; details: string };
    }
  | { status: 'REMEDIATED'; keyType: KeyType; keyArn?: string; viaFallback: boolean; protectedAt: number }
  | { status: 'NOT_APPLICABLE' | 'EXEMPT' | 'GONE'; reason?: string }
  | { status: 'DEFERRED'; reason: DeferredReason; details: string; nextAttemptAt?: number }
  | {
      status: 'FAILED';
      reason: FailedReason;
      details: string;
      failureType?: string;
      stillEncryptedWith?: { keyType: KeyType; keyArn?: string };
    };

/** A wait the next Wait state takes; `id` lets a local runner apply each wait to its clock once. */
export type WaitDirective = { id: number; seconds: number } | { id: number; until: string };

/** Everything one execution carries from state to state (the ASL's `$`). */
export interface RemediationState {
  stream: { account: string; region: string; name: string };
  trigger: Trigger;
  /** Epoch ms when the problem was first seen (the triggering event), for time to compliant. */
  detectedAt: number;
  /** The execution's name: correlation id of its events and owner of the stream's lease. */
  correlationId: string;
  phase: Phase;
  wait?: WaitDirective;
  counters: { inspections: number; busyWaits: number; budgetWaits: number; attempts: number; polls: number; callsSpent: number };
  /** The first inspection's verdict, for the evaluated event. */
  initial?: { verdict: Verdict; reason?: string; encryption: { status: EncryptionStatus; keyType?: KeyType; keyArn?: string } };
  /** The key in effect before our change, when the stream was already encrypted (a key change). */
  previousKey?: { keyType: KeyType; keyArn?: string };
  target?: TargetKey;
  reason?: RemediationReason;
  /** Keys found unusable in this execution (never tried again in it). */
  unusableKeys: string[];
  reservationId?: string;
  /** What the remediator had left for the stream after its last reservation. */
  budgetRemaining?: { ours: number; total: number };
  /** A budget-low warning to publish at the end. */
  budgetLow?: { remainingOurs: number; remainingTotal: number; nextAvailableAt?: number };
  outcome?: Outcome;
  /** Set by the state machine's Catch: the error a task could not recover from. */
  error?: { Error?: string; Cause?: string };
  /** The lease's trigger generation at the latest Inspect: Conclude gives the lease back only at it. */
  leaseGeneration?: number;
  /**
   * When a Describe first showed ENABLED with an accepted key in this look (epoch ms). The change
   * happened at or before it, so every record is encrypted from it + 5 s on: the verdict waits that
   * long and is published only after a later Describe still shows it.
   */
  enabledSeenAt?: number;
  /** Times Conclude sent the workflow back to look again because triggers arrived (bounded). */
  rounds?: number;
  /** Events of this execution already published (by id), so that a retried Conclude publishes none twice. */
  published?: string[];
}

/** The workflow's tunables, with the bounds that keep every wait and loop finite. */
export interface WorkflowSettings {
  /** First wait after Start before looking at ENABLING; doubles per poll up to `maxPollSeconds`. */
  pollSeconds: number;
  maxPollSeconds: number;
  maxPolls: number;
  /** Start attempts per execution (ENABLING_FAILED that is worth retrying). */
  maxAttempts: number;
  /** Backoff before a retried Start; doubles per attempt. */
  retrySeconds: number;
  busyWaitSeconds: number;
  maxBusyWaits: number;
  /** Wait for the budget (TimestampPath) only when the next call is at most this far away. */
  budgetWaitHorizonSeconds: number;
  maxBudgetWaits: number;
  maxInspections: number;
}

export const DEFAULT_WORKFLOW_SETTINGS: WorkflowSettings = {
  pollSeconds: 10,
  maxPollSeconds: 300,
  maxPolls: 12,
  maxAttempts: 3,
  retrySeconds: 60,
  busyWaitSeconds: 30,
  maxBusyWaits: 20,
  budgetWaitHorizonSeconds: 3_600,
  maxBudgetWaits: 2,
  maxInspections: 25,
};

export type { WorkflowInput } from '../shapes.ts';

/** Validates a workflow input and gives the initial state. */
export function startState(input: unknown): RemediationState {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Partial<WorkflowInput>;
  const ref = streamRef(raw.stream?.account, raw.stream?.region, raw.stream?.name);
  if (!TRIGGERS.includes(raw.trigger as Trigger))
    throw new MalformedEventError(`workflow input: unknown trigger ${JSON.stringify(raw.trigger)}`);
  if (typeof raw.correlationId !== 'string' || raw.correlationId.length === 0 || raw.correlationId.length > 80) {
    throw new MalformedEventError('workflow input: correlationId must be 1 to 80 characters (the execution name)');
  }
  if (raw.detectedAt !== undefined && !Number.isFinite(raw.detectedAt))
    throw new MalformedEventError('workflow input: detectedAt must be epoch milliseconds');
  return {
    stream: { account: ref.account, region: ref.region, name: ref.name },
    trigger: raw.trigger as Trigger,
    detectedAt: raw.detectedAt ?? Number.NaN,
    correlationId: raw.correlationId,
    phase: 'INSPECT',
    counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 0, polls: 0, callsSpent: 0 },
    unusableKeys: [],
  };
}

/** Checks that a task's input is a state this workflow produced (a task's own input validation). */
export function continueState(input: unknown): RemediationState {
  const state = input as RemediationState;
  if (typeof state !== 'object' || state === null || typeof state.counters !== 'object' || !Array.isArray(state.unusableKeys)) {
    throw new MalformedEventError('task input is not a remediation state');
  }
  streamRef(state.stream?.account, state.stream?.region, state.stream?.name);
  return state;
}

/**
 * Conclude's input: a remediation state, or, when the very first Inspect failed, the workflow's
 * input with the error the state machine's Catch added: it still concludes (FAILED, with the error).
 */
export function concludableState(input: unknown): RemediationState {
  try {
    return continueState(input);
  } catch (notAState) {
    const error = (input as { error?: RemediationState['error'] } | null)?.error;
    if (!error) throw notAState;
    return { ...startState(input), error };
  }
}

export function refOf(state: RemediationState): StreamRef {
  return { account: state.stream.account, region: state.stream.region, name: state.stream.name };
}

/** The next state, going to `phase`, with a wait when one is given. */
export function goTo(state: RemediationState, phase: Phase, wait?: { seconds: number } | { until: number }): RemediationState {
  const { wait: _previous, ...rest } = state;
  if (!wait) return { ...rest, phase };
  const id = (state.wait?.id ?? 0) + 1;
  const directive: WaitDirective =
    'seconds' in wait ? { id, seconds: Math.max(0, Math.ceil(wait.seconds)) } : { id, until: new Date(wait.until).toISOString() };
  return { ...rest, phase, wait: directive };
}

export function conclude(state: RemediationState, outcome: Outcome): RemediationState {
  return { ...goTo(state, 'CONCLUDE'), outcome };
}

/** The first inspection's verdict, kept for the evaluated event. */
export function initialOf(
  decision: StreamDecision,
  encryption: { status: EncryptionStatus; keyType?: KeyType; keyArn?: string },
  reason: string | undefined,
): RemediationState['initial'] {
  return { verdict: decision.verdict, ...(reason ? { reason } : {}), encryption };
}

export const keyLabel = (key: TargetKey): string => (key.keyType === 'AWS_OWNED_CMK' ? 'AWS_OWNED_CMK' : key.keyArn);

/**
 * ENABLED with an accepted key, seen at `now`: wait out the settle time, then look again (Inspect).
 * "It can take up to 5 seconds after the encryption status changes to ENABLED before all records
 * written to the delivery stream are encrypted": the change happened at or before the first time it
 * was seen, so every record is encrypted from then + 5 s on; the verdict comes from the Describe
 * after the wait, so it is true when it is published.
 */
export function settle(state: RemediationState, now: number): RemediationState {
  const enabledSeenAt = state.enabledSeenAt ?? now;
  return goTo({ ...state, enabledSeenAt }, 'SETTLE', { seconds: Math.max(1, (enabledSeenAt + ENCRYPTION_SETTLE_MS - now) / 1000) });
}

/** When records are all encrypted, for a stream first seen ENABLED at `enabledSeenAt`. */
export const protectedFrom = (enabledSeenAt: number): number => enabledSeenAt + ENCRYPTION_SETTLE_MS;

/** The outcome of a stream found ENABLED with an accepted key after the settle: REMEDIATED when we paid for it. */
export function verdictOutcome(state: RemediationState, key: TargetKey, policy: GuardPolicy, enabledSeenAt: number): Outcome {
  const keyArn = key.keyType === 'CUSTOMER_MANAGED_CMK' ? { keyArn: key.keyArn } : {};
  const viaFallback =
    acceptedKey(key.keyType, key.keyType === 'CUSTOMER_MANAGED_CMK' ? key.keyArn : undefined, policy, {
      account: state.stream.account,
      region: state.stream.region,
    }) === 'fallback';
  return state.counters.callsSpent > 0
    ? { status: 'REMEDIATED', keyType: key.keyType, ...keyArn, viaFallback, protectedAt: protectedFrom(enabledSeenAt) }
    : { status: 'COMPLIANT', keyType: key.keyType, ...keyArn, viaFallback };
}
