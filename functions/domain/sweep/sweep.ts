import { decideStream, type StreamDecision } from '../decision.ts';
import { RateLimitedError } from '../errors.ts';
import { buildEvent, decisionReason, SNAPSHOT_LIST_LIMIT } from '../events.ts';
import { startWorkflow } from '../workflow-start.ts';
import type { GuardPolicy } from '../policy.ts';
import type { Clock, EventPublisher, FirehoseGateway, LeaseStore, WorkflowStarter } from '../ports.ts';
import type { StreamRef } from '../stream-ref.ts';
import { Pacer } from './pacer.ts';
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
  /** Paces DescribeDeliveryStream below its quota. */
  describePacer: Pacer;
  /** Paces ListTagsForDeliveryStream (its own quota). */
  tagsPacer: Pacer;
  /** Milliseconds left in this invocation. */
  remainingMs: () => number;
  /** Hand the rest on when fewer milliseconds than this are left. */
  reserveMs: number;
  pageSize: number;
  leaseSeconds: number;
  /** Streams evaluated at once; the pacers, not this, set the call rate. */
  concurrency: number;
  /** Told of every stream's decision (reports, progress). */
  onStream?: (ref: StreamRef, decision: StreamDecision) => void;
}

/**
 * The sweep's DescribeDeliveryStream rate: 0.92 of the 5-per-second control-plane quota, leaving the
 * rest for the workflows' own Describes (FSG_SWEEP_DESCRIBES_PER_SECOND, the CLI's --rate).
 */
export const SWEEP_DESCRIBES_PER_SECOND = 4.6;

/** How a sweep runs, the same deployed, on the local account and from the CLI: the part of SweepDeps that is not an adapter. */
export function sweepTuning(
  describesPerSecond: number,
  clock: Clock,
  sleep: (ms: number) => Promise<void>,
): Pick<SweepDeps, 'describePacer' | 'tagsPacer' | 'pageSize' | 'concurrency' | 'leaseSeconds'> {
  return {
    describePacer: new Pacer(describesPerSecond, clock, sleep),
    tagsPacer: new Pacer(describesPerSecond, clock, sleep),
    pageSize: 1_000,
    concurrency: 8,
    leaseSeconds: LEASE_SECONDS,
  };
}

/** Throttling that outlasted the SDK's retries is waited out here, this many times, before it counts. */
const THROTTLE_RETRIES = 6;
/** A sweep that needed more invocations than this is stopped, in case something keeps it from progressing. */
export const MAX_SWEEP_INVOCATIONS = 500;

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
    const page = await deps.firehose.listNames(
      { account: cursor.account, region },
      { limit: deps.pageSize, ...(cursor.startAfter ? { startAfter: cursor.startAfter } : {}) },
    );
    // A chunk at a time, so that a Describe is always waiting for the pacer's next slot while tags,
    // leases and starts of other streams are under way; the cursor only moves past whole chunks.
    for (let i = 0; i < page.names.length; i += deps.concurrency) {
      if (deps.remainingMs() < deps.reserveMs) return { done: false, cursor };
      const chunk = page.names.slice(i, i + deps.concurrency);
      await Promise.all(chunk.map((name) => evaluate({ account: cursor.account, region, name }, cursor, deps)));
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

async function evaluate(ref: StreamRef, cursor: SweepCursor, deps: SweepDeps): Promise<void> {
  const description = await paced(deps.describePacer, () => deps.firehose.describe(ref));
  let decision: StreamDecision = decideStream(description, {}, deps.policy, ref);
  // Tags matter only to a stream that is not already compliant: read them then, and only then.
  if (description?.type === ENCRYPTABLE_STREAM_TYPE && (decision.verdict === 'REMEDIATE' || decision.verdict === 'BUSY')) {
    const tags = await paced(deps.tagsPacer, () => deps.firehose.tags(ref));
    decision = decideStream(description, tags, deps.policy, ref);
  }
  cursor.totals.streams += 1;
  cursor.totals[decision.verdict] += 1;
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

/** Calls under the pacer; throttling that got past the SDK's retries slows the pacer and tries again. */
async function paced<T>(pacer: Pacer, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    await pacer.take();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RateLimitedError) || attempt >= THROTTLE_RETRIES) throw error;
      pacer.backOff(1000 * 2 ** attempt);
    }
  }
}
