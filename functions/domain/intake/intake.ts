import { acceptedKey } from '../decision.ts';
import { LeaseHeldError } from '../errors.ts';
import { buildEvent, type Trigger } from '../events.ts';
import type { GuardPolicy } from '../policy.ts';
import type { BudgetLedger, Clock, EventPublisher, LeaseStore, StreamStateStore, WorkflowStarter } from '../ports.ts';
import { arnOf, type StreamRef } from '../stream-ref.ts';
import { globRegExp } from '../glob.ts';
import { executionName } from './execution-name.ts';
import type { IntakeEvent } from './intake-event.ts';

export interface IntakeDeps {
  ledger: BudgetLedger;
  states: StreamStateStore;
  leases: LeaseStore;
  starter: WorkflowStarter;
  publisher: EventPublisher;
  clock: Clock;
  policy: GuardPolicy;
  /** The roles the remediator's own calls are made with (the loop guard); `*` matches within one ARN field. */
  remediatorRoleArns: readonly string[];
  /** How long a started workflow holds the stream's lease at most (it releases it when it ends). */
  leaseSeconds: number;
}

export type IntakeResult =
  | { action: 'started'; executionName: string; trigger: Trigger }
  /** The stream's workflow is running: the trigger is noted on its lease (generation), so it looks again before it ends. */
  | { action: 'already-running'; executionName: string; holder: string; generation: number }
  | { action: 'own-call'; recorded: boolean }
  | { action: 'forgotten' }
  | { action: 'ignored'; reason: string };

/**
 * The intake: one triggering event in, at most one workflow out. Every Start and Stop is recorded in
 * the budget ledger, whoever made it (idempotently, by CloudTrail event id and request id). The
 * remediator's own calls never trigger anything (loop guard). A per-stream lease makes duplicate or
 * concurrent events for one stream give one execution.
 */
export async function takeIn(event: IntakeEvent, deps: IntakeDeps): Promise<IntakeResult> {
  if (event.kind === 'config') {
    if (event.compliance !== undefined && event.compliance !== 'NON_COMPLIANT') return { action: 'ignored', reason: `Config says ${event.compliance}` };
    return startWorkflow(event.ref, 'config-change', event.eventId, event.eventTime, deps);
  }
  const ours = deps.remediatorRoleArns.some((pattern) => roleMatches(pattern, event.actor));
  let recorded = false;
  if (event.eventName === 'StartDeliveryStreamEncryption' || event.eventName === 'StopDeliveryStreamEncryption') {
    const call = {
      id: event.eventId,
      at: event.eventTime,
      by: ours ? ('remediator' as const) : ('other' as const),
      operation: event.eventName === 'StartDeliveryStreamEncryption' ? ('Start' as const) : ('Stop' as const),
      principal: event.actor,
      ...(event.requestId ? { requestId: event.requestId } : {}),
    };
    recorded = (await deps.ledger.record(event.ref, call, deps.clock.now())).recorded;
  }
  if (ours) return { action: 'own-call', recorded };

  switch (event.eventName) {
    case 'DeleteDeliveryStream':
      await deps.states.forget(event.ref);
      return { action: 'forgotten' };
    case 'CreateDeliveryStream':
      if (event.streamType !== undefined && event.streamType !== 'DirectPut') return { action: 'ignored', reason: `${event.streamType} streams cannot use SSE` };
      return startWorkflow(event.ref, 'stream-created', event.eventId, event.eventTime, deps);
    case 'StopDeliveryStreamEncryption':
      await publishDrift(event, deps);
      return startWorkflow(event.ref, 'encryption-stopped', event.eventId, event.eventTime, deps);
    case 'StartDeliveryStreamEncryption': {
      const key = event.requestedKey;
      if (key && !acceptedKey(key.keyType, key.keyArn, deps.policy)) await publishDrift(event, deps);
      // Even with an accepted key the workflow looks again once it settles: the Start may still fail.
      return startWorkflow(event.ref, 'encryption-started-by-other', event.eventId, event.eventTime, deps);
    }
  }
}

/** A role ARN, or a pattern with `*` (e.g. the member role in every account: `arn:aws:iam::*:role/firehose-sse-guard-member`). */
export function roleMatches(pattern: string, actor: string): boolean {
  return globRegExp(pattern, { anyRun: '[^:]*', singleChar: false }).test(actor);
}

async function publishDrift(event: Extract<IntakeEvent, { kind: 'api-call' }>, deps: IntakeDeps): Promise<void> {
  const stream = { ...event.ref, arn: arnOf(event.ref) };
  const { partition: _partition, ...part } = stream;
  await deps.publisher.publish([
    buildEvent(
      'driftDetected',
      {
        stream: part,
        eventName: event.eventName as 'StopDeliveryStreamEncryption' | 'StartDeliveryStreamEncryption',
        actor: event.actor,
        eventTime: new Date(event.eventTime).toISOString(),
        ...(event.requestedKey ? { requestedKey: event.requestedKey } : {}),
      },
      deps.clock.now(),
      event.eventId,
    ),
  ]);
}

/** Attempts to take a lease or note a trigger on it before giving up (each loses only to a concurrent change). */
const LEASE_ATTEMPTS = 5;

/**
 * Claims the stream's lease for the execution, then starts it; gives the lease back if nothing started.
 * When another execution holds the lease, the trigger is noted on it (the trigger generation), so that
 * the holder looks at the stream again before it gives the lease back: a trigger is never dropped.
 */
export async function startWorkflow(ref: StreamRef, trigger: Trigger, eventKey: string, detectedAt: number, deps: Pick<IntakeDeps, 'leases' | 'starter' | 'clock' | 'leaseSeconds'>, tag = 'e'): Promise<IntakeResult> {
  const name = executionName(ref, eventKey, tag);
  const now = deps.clock.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.leases.acquire(ref, name, now, deps.leaseSeconds * 1000);
      break;
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      // The lease may have been given back (or expired) between the two calls: then take it again.
      const noted = await deps.leases.noteTrigger(ref, now);
      if (noted) return { action: 'already-running', executionName: name, holder: noted.holder, generation: noted.generation };
      if (attempt >= LEASE_ATTEMPTS) throw error;
    }
  }
  try {
    const stream = { account: ref.account, region: ref.region, name: ref.name };
    const { started } = await deps.starter.start(name, { stream, trigger, correlationId: name, ...(Number.isFinite(detectedAt) ? { detectedAt } : {}) });
    if (!started) {
      await deps.leases.release(ref, name);
      return { action: 'ignored', reason: `execution ${name} already ran for this event` };
    }
    return { action: 'started', executionName: name, trigger };
  } catch (error) {
    await deps.leases.release(ref, name);
    throw error;
  }
}
