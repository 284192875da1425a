import type { BudgetStatus, LedgerCall } from './budget.ts';
import type { StreamDescription, TargetKey } from './decision.ts';
import type { GuardEvent } from './events.ts';
import type { SweepTotals, WorkflowInput } from './shapes.ts';
import type { EncryptionFailureType } from './firehose-facts.ts';
import type { StreamRef } from './stream-ref.ts';

/** Time, in epoch milliseconds. The domain never reads the system clock itself. */
export interface Clock {
  now(): number;
}

/** Amazon Data Firehose, as the remediator uses it. Errors are the domain's ServiceCallError subclasses. */
export interface FirehoseGateway {
  /** The stream's description, or undefined when it does not exist. */
  describe(ref: StreamRef): Promise<StreamDescription | undefined>;
  /** Every tag of the stream (all pages). */
  tags(ref: StreamRef): Promise<Record<string, string>>;
  /** Every stream name in the account and region (all pages), alphabetically, after `startAfter`. */
  listNames(
    scope: { account: string; region: string },
    options?: { startAfter?: string; limit?: number },
  ): Promise<{ names: string[]; more: boolean }>;
  /** StartDeliveryStreamEncryption, called once: never retried by the gateway. */
  startEncryption(ref: StreamRef, key: TargetKey): Promise<{ requestId?: string }>;
}

/** The pre-flight check of a customer managed key. */
export type KeyCheck =
  | { readonly usable: true }
  | { readonly usable: false; readonly failureType: EncryptionFailureType; readonly details: string }
  /** The key could not be inspected (for example, no kms:DescribeKey on it); Firehose will judge. */
  | { readonly usable: 'unknown'; readonly details: string };

export interface KeyInspector {
  check(keyArn: string): Promise<KeyCheck>;
}

/** The per-stream budget ledger. Every write is a single-item conditional write. */
export interface BudgetLedger {
  status(ref: StreamRef, now: number, share: number): Promise<BudgetStatus>;
  /** Reserves one call for the remediator or throws BudgetExhaustedError (with nextAvailableAt). Idempotent by `call.id`. */
  reserve(ref: StreamRef, call: LedgerCall, share: number): Promise<BudgetStatus>;
  /** Ties our reservation to Firehose's request id, so that the CloudTrail echo of the call is not counted again. */
  confirm(ref: StreamRef, id: string, requestId: string, now: number): Promise<void>;
  /** Records someone's call (or our echo), idempotent by `call.id` and by `call.requestId`. */
  record(ref: StreamRef, call: LedgerCall, now: number): Promise<{ recorded: boolean }>;
  /** Drops a reservation whose call Firehose certainly refused. */
  release(ref: StreamRef, id: string, now: number): Promise<void>;
  /** Keeps a reservation whose call's fate is unknown until `until`, then drops it unless confirmed. */
  markUnknown(ref: StreamRef, id: string, until: number, now: number): Promise<void>;
  /** Every call in the window (for reports). */
  calls(ref: StreamRef, now: number): Promise<LedgerCall[]>;
}

/** What the remediator last concluded about a stream. */
export interface StreamState {
  readonly verdict: string;
  readonly reason?: string;
  readonly keyType?: string;
  readonly keyArn?: string;
  readonly updatedAt: number;
  readonly correlationId?: string;
  /** The outcome this state records (execution#round), and which of its events were delivered. */
  readonly outcomeId?: string;
  /** Detail types of the outcome's events delivered so far, and the events until all are. */
  readonly publishedEvents?: readonly string[];
  readonly outbox?: readonly GuardEvent[];
  /** When the stream's workflow runs again by itself (epoch ms), for a deferral or a failure. */
  readonly retryAt?: number;
  /** TTL (epoch seconds), for the state of a stream that is gone. */
  readonly expiresAt?: number;
}

export interface StreamStateStore {
  get(ref: StreamRef): Promise<StreamState | undefined>;
  put(ref: StreamRef, state: StreamState): Promise<void>;
  /** Removes everything kept for the stream (it was deleted). */
  forget(ref: StreamRef): Promise<void>;
}

export interface Lease {
  readonly owner: string;
  readonly expiresAt: number;
}

/** The lease as its holder sees it: still ours, and how many triggers arrived while it was held. */
export interface LeaseView {
  readonly held: boolean;
  /** Triggers noted on the lease since it was taken (the trigger generation). */
  readonly generation: number;
}

/**
 * One workflow per stream at a time, and no trigger lost while it runs. The LEASE item holds the
 * owner (the execution name), its expiry, and the trigger generation: the intake bumps it for every
 * trigger that finds the lease held; the owner reads it before each look at the stream and may give
 * the lease back only while it is still the generation it last looked under.
 */
export interface LeaseStore {
  /** Takes the lease (generation 0), or throws LeaseHeldError. Taking a lease one already holds renews it. */
  acquire(ref: StreamRef, owner: string, now: number, ttlMs: number): Promise<Lease>;
  /** Notes a trigger on a live lease: its holder and the new generation, or undefined when no live lease is held. */
  noteTrigger(ref: StreamRef, now: number): Promise<{ holder: string; generation: number } | undefined>;
  /**
   * Hands a lease whose holder is not running (its execution never started, or ended without its
   * cleanup) to a new owner, at generation 0; false when `from` no longer holds it.
   */
  takeOver(ref: StreamRef, from: string, to: string, now: number, ttlMs: number): Promise<boolean>;
  /** What the owner needs before it looks at the stream. */
  observe(ref: StreamRef, owner: string, now: number): Promise<LeaseView>;
  /**
   * Gives the lease back if `owner` still holds it and, when `seenGeneration` is given, no trigger
   * arrived since: `released: false, reason: 'new-trigger'` tells the owner to look again.
   */
  release(ref: StreamRef, owner: string, seenGeneration?: number): Promise<{ released: boolean; reason?: 'new-trigger' | 'not-held' }>;
}

/**
 * A key that failed for a stream, remembered per stream and key across executions, so that a key that
 * cannot work is never paid for twice. It is tried again only when the key's state changes (the KMS
 * pre-flight check says something else than it did when the key failed) or an operator clears it.
 */
export interface KeyFailure {
  /** 'AWS_OWNED_CMK' or the key ARN. */
  readonly key: string;
  readonly failureType: string;
  readonly details: string;
  readonly at: number;
  /** What the KMS pre-flight check said of the key when it failed: 'usable', a failure type, or 'unknown'. */
  readonly keyState: string;
}

export interface KeyFailureStore {
  list(ref: StreamRef): Promise<KeyFailure[]>;
  remember(ref: StreamRef, failure: KeyFailure): Promise<void>;
  /** Clears one key's failure, or every one when `key` is omitted (the CLI's `keys --clear`). */
  forget(ref: StreamRef, key?: string): Promise<void>;
}

/** Runs the stream's workflow again at a given time: deferrals and failures come back by themselves. */
export interface RetryScheduler {
  /** Schedules a retry at `at` (epoch ms); idempotent by `id`. */
  schedule(ref: StreamRef, at: number, reason: string, id: string): Promise<void>;
}

/** Publishes events; throws EventPublishError for any entry it could not deliver after retries. */
export interface EventPublisher {
  publish(events: readonly GuardEvent[]): Promise<void>;
}

/** Starts the remediation workflow for a stream. */
export interface WorkflowStarter {
  /**
   * Starts an execution named `name`. Starting a name that is already running with the same input
   * is a no-op (`started: true`); a name that exists but is closed (or had other input) answers
   * `started: false`.
   */
  start(name: string, input: WorkflowInput): Promise<{ started: boolean }>;
  /** Whether the execution named `name` is running (false when it ended or never existed). */
  isRunning?(name: string): Promise<boolean>;
}

/** Where events that cannot be processed go, with the reason, instead of being retried forever. */
export interface DeadLetterQueue {
  send(event: unknown, reason: string): Promise<void>;
}

/** What one pacing frontier covers: a Firehose control-plane operation in one account and region (each has its own quota). */
export interface PaceScope {
  readonly account: string;
  readonly region: string;
  readonly operation: PacedOperation;
}

/** The control-plane operations the remediator calls. */
export type PacedOperation =
  'DescribeDeliveryStream' | 'ListTagsForDeliveryStream' | 'ListDeliveryStreams' | 'StartDeliveryStreamEncryption';

/**
 * The one pacing of every Firehose control-plane call of the system (the sweep, Inspect, Enable and
 * Check), shared by all Lambdas through one frontier per scope: the earliest time the next call may
 * be made. A caller reserves a slot (the frontier moves on by one interval) and calls at it; calls
 * are thus spaced at the pacing rate, in the order they were reserved, whoever makes them.
 */
export interface ControlPlanePacer {
  /** The calls per second each scope is paced at. */
  readonly callsPerSecond: number;
  /** Reserves the next free slot (epoch ms, never before `now`) for one call. */
  reserve(scope: PaceScope, now: number): Promise<number>;
  /** The next free slot, without reserving it (`now` when the frontier is behind). */
  frontier(scope: PaceScope, now: number): Promise<number>;
  /** Moves the frontier to `until` at least: the service throttled a call, so the quota is busier than the frontier knew. */
  backOff(scope: PaceScope, until: number): Promise<void>;
}

/**
 * How long ENABLING typically lasts in an account and region, learnt from the first look after each
 * Start: the first poll comes when ENABLING typically ends.
 */
export interface EnablingEstimates {
  /** The wait before the first look after a Start (ms), or undefined when nothing was learnt yet. */
  typical(scope: { account: string; region: string }): Promise<number | undefined>;
  /** Records the wait the first look came after, and whether ENABLING was over by then. */
  learn(scope: { account: string; region: string }, waitedMs: number, enabledByThen: boolean): Promise<void>;
}

/** An organization's member accounts, and the regions enabled in an account (the organization sweep's targets). */
export interface AccountDirectory {
  /** Every account of the organization with its status (all pages). */
  accounts(): Promise<{ id: string; status: string }[]>;
  /** The regions enabled in the account (opted in, or enabled by default). */
  enabledRegions(account: string): Promise<string[]>;
}

/**
 * What each account and region of a sweep ended with, kept outside the sweep state machine's state
 * (which is at most 256 KB): the roll-up reads them back. Writes are idempotent per target.
 */
export interface SweepResults {
  record(sweepId: string, summary: TargetSummary, now: number): Promise<void>;
  list(sweepId: string): Promise<TargetSummary[]>;
}

/** What a finished (or failed) account and region tells the roll-up: counts only. */
export interface TargetSummary {
  account: string;
  region?: string;
  totals?: SweepTotals;
  workflowsStarted?: number;
  /** Why the account or region could not be swept. */
  error?: string;
}

/**
 * Which stage enforces in an account and region: the SSM parameter /firehose-sse-guard/enforcing-stage
 * that an enforcing stage's stacks create there (serverless.yml, the member and forwarder templates).
 */
export interface EnforcementClaims {
  /** The stage holding the account and region when it is another one; undefined when it is this stage, or nobody. */
  heldByOther(place: { account: string; region: string }): Promise<string | undefined>;
}

/** The sweep state machine's own executions: a scheduled sweep that finds another one running skips (one sweep at a time). */
export interface SweepRuns {
  /** Whether an execution of the state machine other than `own` is running. */
  othersRunning(stateMachineArn: string, ownExecutionArn: string): Promise<boolean>;
}
