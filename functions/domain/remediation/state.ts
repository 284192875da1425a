import * as z from 'zod/mini';
import { acceptedKey, type StreamDecision, type TargetKey } from '../decision.ts';
import {
  countSchema,
  deferredReasonSchema,
  encryptionStatusSchema,
  failedReasonSchema,
  keyTypeSchema,
  remediationReasonSchema,
  triggerSchema,
  readShape,
  streamPlaceSchema,
  verdictSchema,
  workflowInputSchema,
} from '../shapes.ts';
import type { GuardPolicy } from '../policy.ts';
import { ENCRYPTION_SETTLE_MS, type EncryptionStatus, type KeyType } from '../firehose-facts.ts';
import { streamRef, type StreamRef } from '../stream-ref.ts';

/** Where the state machine goes next; the ASL's Choice states route on it. */
const phaseSchema = z.enum(['INSPECT', 'WAIT_BUSY', 'ENABLE', 'WAIT_RETRY', 'WAIT_BUDGET', 'POLL', 'SETTLE', 'WAIT_SLOT', 'CONCLUDE']);
export type Phase = z.infer<typeof phaseSchema>;

/** A key as the workflow carries it: its type, and its ARN when it is a customer managed key. */
const keySchema = z.object({ keyType: keyTypeSchema, keyArn: z.optional(z.string()) });

const targetKeySchema = z.discriminatedUnion('keyType', [
  z.object({ keyType: z.literal('AWS_OWNED_CMK') }),
  z.object({ keyType: z.literal('CUSTOMER_MANAGED_CMK'), keyArn: z.string() }),
]) satisfies z.ZodMiniType<TargetKey>;

/** How a workflow ended; Conclude turns it into the stream's state and the outcome event. */
const outcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('COMPLIANT'),
    ...keySchema.shape,
    viaFallback: z.boolean(),
    /** A key change that failed left the stream encrypted with this (accepted) key. */
    keyChangeFailed: z.optional(z.object({ failureType: z.string(), details: z.string() })),
  }),
  z.object({ status: z.literal('REMEDIATED'), ...keySchema.shape, viaFallback: z.boolean(), protectedAt: z.number() }),
  z.object({ status: z.enum(['NOT_APPLICABLE', 'EXEMPT', 'GONE']), reason: z.optional(z.string()) }),
  z.object({ status: z.literal('DEFERRED'), reason: deferredReasonSchema, details: z.string(), nextAttemptAt: z.optional(z.number()) }),
  z.object({
    status: z.literal('FAILED'),
    reason: failedReasonSchema,
    details: z.string(),
    failureType: z.optional(z.string()),
    stillEncryptedWith: z.optional(keySchema),
  }),
]);
export type Outcome = z.infer<typeof outcomeSchema>;
export type OutcomeStatus = Outcome['status'];

/** A wait the next Wait state takes; `id` lets a local runner apply each wait to its clock once. */
const waitDirectiveSchema = z.union([
  z.object({ id: countSchema, seconds: z.number().check(z.minimum(0)) }),
  z.object({ id: countSchema, until: z.string() }),
]);
export type WaitDirective = z.infer<typeof waitDirectiveSchema>;

/** What the state machine's Catch adds (ResultPath `$.error`): the error a task could not recover from. */
const caughtErrorSchema = z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) });

/**
 * Everything one execution carries from state to state (the ASL's `$`). Tasks read it by this
 * schema (continueState): fields that no task of this version knows are left out.
 */
const remediationStateSchema = z.object({
  stream: streamPlaceSchema,
  trigger: triggerSchema,
  /**
   * Epoch ms when the problem was first seen (the triggering event), for time to compliant. NaN
   * until the first Inspect when the input named no time; JSON carries NaN as null.
   */
  detectedAt: z.pipe(
    z.union([z.number(), z.nan(), z.null()]),
    z.transform((at: number | null) => at ?? Number.NaN),
  ),
  /** The execution's name: correlation id of its events and owner of the stream's lease. */
  correlationId: z.string().check(z.minLength(1)),
  phase: phaseSchema,
  wait: z.optional(waitDirectiveSchema),
  counters: z.object({
    inspections: countSchema,
    busyWaits: countSchema,
    budgetWaits: countSchema,
    attempts: countSchema,
    polls: countSchema,
    callsSpent: countSchema,
  }),
  /** The first inspection's verdict, for the evaluated event. */
  initial: z.optional(
    z.object({
      verdict: verdictSchema,
      reason: z.optional(z.string()),
      encryption: z.object({ status: encryptionStatusSchema, keyType: z.optional(keyTypeSchema), keyArn: z.optional(z.string()) }),
    }),
  ),
  /** The key in effect before our change, when the stream was already encrypted (a key change). */
  previousKey: z.optional(keySchema),
  target: z.optional(targetKeySchema),
  reason: z.optional(remediationReasonSchema),
  /** Keys found unusable in this execution (never tried again in it). */
  unusableKeys: z.array(z.string()),
  reservationId: z.optional(z.string()),
  /** What the remediator had left for the stream after its last reservation. */
  budgetRemaining: z.optional(z.object({ ours: z.number(), total: z.number() })),
  /** A budget-low warning to publish at the end. */
  budgetLow: z.optional(z.object({ remainingOurs: z.number(), remainingTotal: z.number(), nextAvailableAt: z.optional(z.number()) })),
  outcome: z.optional(outcomeSchema),
  /** Set by the state machine's Catch: the error a task could not recover from. */
  error: z.optional(caughtErrorSchema),
  /** The lease's trigger generation at the latest Inspect: Conclude gives the lease back only at it. */
  leaseGeneration: z.optional(z.number()),
  /**
   * When a Describe first showed ENABLED with an accepted key in this look (epoch ms). The change
   * happened at or before it, so every record is encrypted from it + 5 s on: the verdict waits that
   * long and is published only after a later Describe still shows it.
   */
  enabledSeenAt: z.optional(z.number()),
  /** Times Conclude sent the workflow back to look again because triggers arrived (bounded). */
  rounds: z.optional(countSchema),
  /** Events of this execution already published (by id), so that a retried Conclude publishes none twice. */
  published: z.optional(z.array(z.string())),
  /** Slots of the shared pacing held across a WAIT_SLOT, by operation (epoch ms; functions/domain/pacing.ts). */
  slots: z.optional(
    z.object({
      DescribeDeliveryStream: z.optional(z.number()),
      ListTagsForDeliveryStream: z.optional(z.number()),
      ListDeliveryStreams: z.optional(z.number()),
      StartDeliveryStreamEncryption: z.optional(z.number()),
    }),
  ),
  /** The task a WAIT_SLOT goes back to (a Start always goes back through Inspect). */
  resume: z.optional(z.enum(['INSPECT', 'CHECK'])),
  /** Milliseconds this execution waited for slots in the state machine, and throttled calls it waited out (both bounded). */
  slotWaitedMs: z.optional(z.number().check(z.minimum(0))),
  slotWaits: z.optional(countSchema),
  throttleWaits: z.optional(countSchema),
  /** When the latest Start was accepted, and the wait planned before the first look after it (ms): what the ENABLING estimate learns from. */
  startedAt: z.optional(z.number()),
  firstLookAfterMs: z.optional(z.number()),
  /** When the next look after a Start is due (epoch ms): a look that comes much later (its slot was far) teaches nothing. */
  lookDueAt: z.optional(z.number()),
});
export type RemediationState = z.infer<typeof remediationStateSchema>;

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
  const { stream, trigger, detectedAt, correlationId } = readShape(workflowInputSchema, input, 'workflow input');
  const ref = streamRef(stream.account, stream.region, stream.name);
  return {
    stream: { account: ref.account, region: ref.region, name: ref.name },
    trigger,
    detectedAt: detectedAt ?? Number.NaN,
    correlationId,
    phase: 'INSPECT',
    counters: { inspections: 0, busyWaits: 0, budgetWaits: 0, attempts: 0, polls: 0, callsSpent: 0 },
    unusableKeys: [],
  };
}

/** Reads a task's input: a state this workflow produced (a task's own input validation). */
export function continueState(input: unknown): RemediationState {
  const state = readShape(remediationStateSchema, input, 'task input is not a remediation state');
  streamRef(state.stream.account, state.stream.region, state.stream.name);
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
    const caught = z.object({ error: caughtErrorSchema }).safeParse(input);
    // Only a workflow input (no counters: the first Inspect failed) starts afresh; a task's state that
    // cannot be read is refused, never replaced by a fresh one (that would lose the calls it spent).
    const stateShaped = typeof input === 'object' && input !== null && 'counters' in input;
    if (!caught.success || stateShaped) throw notAState;
    return { ...startState(input), error: caught.data.error };
  }
}

export function refOf(state: RemediationState): StreamRef {
  return { account: state.stream.account, region: state.stream.region, name: state.stream.name };
}

/** The next state, going to `phase`, with a wait when one is given. */
export function goTo(state: RemediationState, phase: Phase, wait?: { seconds: number } | { until: number }): RemediationState {
  // Without a wait, the last directive stays (no Wait state reads it): its id keeps the ids of one
  // execution increasing, so a local runner that applies each wait once never mistakes a new one for it.
  if (!wait) return { ...state, phase };
  const { wait: _previous, ...rest } = state;
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
