import { decideStream, type StreamDecision } from '../decision.ts';
import { RateLimitedError, TransientServiceError } from '../errors.ts';
import { buildEvent, decisionReason, SNAPSHOT_LIST_LIMIT, type GuardEvent } from '../events.ts';
import { startWorkflow } from '../workflow-start.ts';
import type { GuardPolicy } from '../policy.ts';
import type { Clock, ControlPlanePacer, EventPublisher, FirehoseGateway, LeaseStore, PacedOperation, WorkflowStarter } from '../ports.ts';
import { slotAfterThrottle, sweepYieldMs, waitInline } from '../pacing.ts';
import { arnOf, type StreamRef } from '../stream-ref.ts';
import { LEASE_SECONDS } from '../remediation/bounds.ts';
import type { SweepCursor, SweepTotals } from '../shapes.ts';
import { ENCRYPTABLE_STREAM_TYPE } from '../firehose-facts.ts';

type Totals = SweepTotals;

export type { SweepCursor } from '../shapes.ts';

export interface SweepDeps {
  firehose: FirehoseGateway;
  leases: LeaseStore;
  starter: WorkflowStarter;
  publisher: EventPublisher;
  clock: Clock;
  policy: GuardPolicy;
  /** The shared pacing of Firehose calls: the sweep yields to the workflows' calls (functions/domain/pacing.ts). */
  pacer: ControlPlanePacer;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds left in this invocation. */
  remainingMs: () => number;
  /** Hand the rest on when fewer milliseconds than this are left. */
  reserveMs: number;
  pageSize: number;
  leaseSeconds: number;
  /** Streams evaluated at once; the pacing, not this, sets the call rate. */
  concurrency: number;
  /** Runs the chunk's evaluations at once (default Promise.all; the local account's virtual clock counts each as its own work). */
  inParallel?: (works: (() => Promise<void>)[]) => Promise<unknown>;
  /** Told of every stream's decision (reports, progress). */
  onStream?: (ref: StreamRef, decision: StreamDecision) => void;
}

/** How a sweep runs, the same deployed, on the local account and from the CLI: the part of SweepDeps that is neither an adapter nor the invocation's. */
export const SWEEP_TUNING = { pageSize: 1_000, concurrency: 8, leaseSeconds: LEASE_SECONDS } as const satisfies Partial<SweepDeps>;

/** A throttled call is waited out (after the frontier moved on) this many times before it counts as a failure. */
const THROTTLE_RETRIES = 6;
/** A transient failure (5xx, a lost connection) is tried again after this, doubling. */
const TRANSIENT_RETRY_MS = 500;
/** The longest the sweep sleeps at once while it yields to the workflows' calls. */
const YIELD_STEP_MS = 10_000;
/**
 * A sweep that needed more invocations than this is stopped, in case something keeps it from
 * progressing: the sweep state machine's 24-hour timeout allows 96 invocations of 15 minutes.
 */
export const MAX_SWEEP_INVOCATIONS = 90;

export function newSweep(sweepId: string, account: string, regions: string[], now: number): SweepCursor {
  const totals: Totals = { streams: 0, COMPLIANT: 0, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 0 };
  return {
    sweepId,
    account,
    regions,
    regionIndex: 0,
    startedAt: now,
    invocations: 0,
    totals,
    nonCompliant: [],
    truncated: false,
    workflowsStarted: 0,
    alreadyRunning: 0,
  };
}

/**
 * One invocation's share of a sweep: list every stream (all pages, every region), describe each
 * under the pacer, start a workflow for each that needs one, and when the sweep is through, publish
 * the compliance snapshot. Returns `done: false` with the cursor when time runs short.
 */
export async function sweepStep(start: SweepCursor, deps: SweepDeps): Promise<{ done: boolean; cursor: SweepCursor }> {
  const cursor: SweepCursor = structuredClone(start);
  cursor.invocations += 1;
  while (cursor.regionIndex < cursor.regions.length) {
    const region = cursor.regions[cursor.regionIndex] as string;
    const scope = { account: cursor.account, region };
    const page = await paced('ListDeliveryStreams', scope, deps, () =>
      deps.firehose.listNames(
        { account: cursor.account, region },
        { limit: deps.pageSize, ...(cursor.startAfter ? { startAfter: cursor.startAfter } : {}) },
      ),
    );
    // A chunk at a time, so that a Describe is always waiting for the pacer's next slot while tags,
    // leases and starts of other streams are under way; the cursor only moves past whole chunks.
    for (let i = 0; i < page.names.length; i += deps.concurrency) {
      if (!(await yieldToWorkflows(scope, deps))) return { done: false, cursor };
      const chunk = page.names.slice(i, i + deps.concurrency);
      const evaluations: GuardEvent[] = [];
      await (deps.inParallel ?? allAtOnce)(
        chunk.map((name) => () => evaluate({ account: cursor.account, region, name }, cursor, deps, evaluations)),
      );
      // One Stream Evaluated per stream looked at, with the encryption seen (a chunk per PutEvents request).
      if (evaluations.length > 0) await deps.publisher.publish(evaluations);
      cursor.startAfter = chunk.at(-1);
    }
    if (!page.more) {
      cursor.regionIndex += 1;
      delete cursor.startAfter;
    }
  }
  const { sweepId, account, regions, totals, nonCompliant, truncated } = cursor;
  await deps.publisher.publish([
    buildEvent('complianceSnapshot', { sweepId, account, regions, totals, nonCompliant, truncated }, deps.clock.now(), sweepId),
  ]);
  return { done: true, cursor };
}

async function evaluate(ref: StreamRef, cursor: SweepCursor, deps: SweepDeps, evaluations: GuardEvent[]): Promise<void> {
  const description = await paced('DescribeDeliveryStream', ref, deps, () => deps.firehose.describe(ref));
  let decision: StreamDecision = decideStream(description, {}, deps.policy, ref);
  // Tags matter only to a stream that is not already compliant: read them then, and only then.
  if (description?.type === ENCRYPTABLE_STREAM_TYPE && (decision.verdict === 'REMEDIATE' || decision.verdict === 'BUSY')) {
    const tags = await paced('ListTagsForDeliveryStream', ref, deps, () => deps.firehose.tags(ref));
    decision = decideStream(description, tags, deps.policy, ref);
  }
  cursor.totals.streams += 1;
  cursor.totals[decision.verdict] += 1;
  const reason = decisionReason(decision);
  const seen = description?.encryption;
  evaluations.push(
    buildEvent(
      'evaluated',
      {
        stream: { account: ref.account, region: ref.region, name: ref.name, arn: description?.arn ?? arnOf(ref) },
        verdict: decision.verdict,
        ...(reason ? { reason } : {}),
        encryption: seen
          ? { status: seen.status, ...(seen.keyType ? { keyType: seen.keyType } : {}), ...(seen.keyArn ? { keyArn: seen.keyArn } : {}) }
          : { status: 'DISABLED' },
        trigger: 'sweep',
        mode: deps.policy.mode,
        evaluatedBy: 'sweep',
      },
      deps.clock.now(),
      cursor.sweepId,
    ),
  );
  deps.onStream?.(ref, decision);
  if (decision.verdict === 'REMEDIATE') {
    if (cursor.nonCompliant.length < SNAPSHOT_LIST_LIMIT)
      cursor.nonCompliant.push({ name: ref.name, region: ref.region, reason: decisionReason(decision) ?? decision.reason });
    else cursor.truncated = true;
  }
  if (decision.verdict === 'REMEDIATE' || decision.verdict === 'BUSY') {
    const result = await startWorkflow(ref, 'sweep', cursor.sweepId, deps.clock.now(), deps, 's');
    if (result.action === 'started') cursor.workflowsStarted += 1;
    else if (result.action === 'already-running') cursor.alreadyRunning += 1;
  }
}

/**
 * A call at the sweep's slot of the shared pacing. Throttling (someone else uses the quota too) moves
 * the frontier on for every caller, and the call waits for a new slot; a transient failure waits for
 * a slot after a growing pause. Both a bounded number of times.
 */
async function paced<T>(
  operation: PacedOperation,
  place: { account: string; region: string },
  deps: SweepDeps,
  call: () => Promise<T>,
): Promise<T> {
  let slot = await deps.pacer.reserve({ ...pick(place), operation }, deps.clock.now());
  for (let attempt = 0; ; attempt += 1) {
    await waitInline(slot, deps);
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RateLimitedError || error instanceof TransientServiceError) || attempt >= THROTTLE_RETRIES) throw error;
      slot =
        error instanceof RateLimitedError
          ? await slotAfterThrottle(operation, place, deps)
          : await deps.pacer.reserve({ ...pick(place), operation }, deps.clock.now() + TRANSIENT_RETRY_MS * 2 ** attempt);
    }
  }
}

const allAtOnce = (works: (() => Promise<void>)[]) => Promise.all(works.map((work) => work()));

const pick = (place: { account: string; region: string }) => ({ account: place.account, region: place.region });

/**
 * The sweep yields to the workflows: while the Describe frontier is more than SWEEP_YIELD_MS ahead
 * (workflow calls are queued), it waits. False when the invocation's time would run out first: the
 * sweep hands on from its cursor instead.
 */
async function yieldToWorkflows(scope: { account: string; region: string }, deps: SweepDeps): Promise<boolean> {
  for (;;) {
    if (deps.remainingMs() < deps.reserveMs) return false;
    const wait = await sweepYieldMs(scope, deps);
    if (wait <= 0) return true;
    const step = Math.min(wait, YIELD_STEP_MS);
    if (deps.remainingMs() - step < deps.reserveMs) return false;
    await deps.sleep(step);
  }
}
