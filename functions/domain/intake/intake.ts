import { acceptedKey } from '../decision.ts';
import { buildEvent, type Trigger } from '../events.ts';
import type { GuardPolicy } from '../policy.ts';
import type { BudgetLedger, Clock, EventPublisher, LeaseStore, StreamStateStore, WorkflowStarter } from '../ports.ts';
import { arnOf } from '../stream-ref.ts';
import { globRegExp } from '../glob.ts';
import { startWorkflow, type WorkflowStartResult } from '../workflow-start.ts';
import type { IntakeEvent } from './intake-event.ts';
import { ENCRYPTABLE_STREAM_TYPE } from '../firehose-facts.ts';
import { ruleForCall, triggerOf, TRIGGER_RULES } from './triggers.ts';
import type { DeploymentScope } from './scope.ts';

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
  /** The accounts and regions this deployment acts in; an event for a stream outside is refused (dead-lettered). */
  scope: DeploymentScope;
}

export type IntakeResult =
  WorkflowStartResult | { action: 'own-call'; recorded: boolean } | { action: 'forgotten' } | { action: 'ignored'; reason: string };

/**
 * Why a Config configuration item starts nothing: it names no actor (no principal, only the changed
 * configuration), so the item that follows the remediator's own Start cannot be told from anyone
 * else's change, and acting on it would loop. Config reaches the workflow through compliance changes
 * of the configured rules; the change itself reaches it through CloudTrail.
 */
export const CONFIG_ITEM_IGNORED =
  'a Config configuration item names no actor, so one that follows our own Start cannot be told apart (loop guard): Config starts workflows only through compliance changes';

/**
 * The intake: one triggering event in, at most one workflow out. Every Start and Stop is recorded in
 * the budget ledger, whoever made it (idempotently, by CloudTrail event id and request id). The
 * remediator's own calls never trigger anything (loop guard). A per-stream lease makes duplicate or
 * concurrent events for one stream give one execution.
 */
export async function takeIn(event: IntakeEvent, deps: IntakeDeps): Promise<IntakeResult> {
  switch (event.kind) {
    case 'config':
      if (event.change === 'item') return { action: 'ignored', reason: CONFIG_ITEM_IGNORED };
      if (event.compliance !== 'NON_COMPLIANT') return { action: 'ignored', reason: `Config rule ${event.rule} says ${event.compliance}` };
      return startWorkflow(event.ref, triggerOf(TRIGGER_RULES.configComplianceChange), event.eventId, event.eventTime, deps);
    case 'scheduled-retry':
      return startWorkflow(event.ref, 'scheduled-retry', event.eventId, event.eventTime, deps, 'r');
    case 'api-call':
      return takeInApiCall(event, deps);
  }
}

async function takeInApiCall(event: Extract<IntakeEvent, { kind: 'api-call' }>, deps: IntakeDeps): Promise<IntakeResult> {
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
    // A call older than the 24-hour window is not recorded (recordCall); one from the future never gets here (parseIntakeEvent).
    recorded = (await deps.ledger.record(event.ref, call, deps.clock.now())).recorded;
  }
  if (ours) return { action: 'own-call', recorded };

  const rule = ruleForCall(event.eventName);

  switch (event.eventName) {
    case 'DeleteDeliveryStream':
      await deps.states.forget(event.ref);
      return { action: 'forgotten' };
    case 'CreateDeliveryStream':
      if (event.streamType !== undefined && event.streamType !== ENCRYPTABLE_STREAM_TYPE)
        return { action: 'ignored', reason: `${event.streamType} streams cannot use SSE` };
      return startWorkflow(event.ref, triggerOf(rule), event.eventId, event.eventTime, deps);
    case 'StopDeliveryStreamEncryption':
      return startThenPublishDrift(event, triggerOf(rule), true, deps);
    case 'StartDeliveryStreamEncryption': {
      const key = event.requestedKey;
      // Even with an accepted key the workflow looks again once it settles: the Start may still fail.
      return startThenPublishDrift(
        event,
        triggerOf(rule),
        key !== undefined && !acceptedKey(key.keyType, key.keyArn, deps.policy, event.ref),
        deps,
      );
    }
  }
}

/**
 * Starts the workflow (or notes the trigger on the running one's lease) first, then publishes the
 * drift event: a drift event that EventBridge refuses must not cost the stream its workflow. A
 * refused publish still fails the invocation, after the start, so that Lambda delivers the event
 * again; the redelivery finds the execution by its name (or its lease) and publishes the drift.
 */
async function startThenPublishDrift(
  event: Extract<IntakeEvent, { kind: 'api-call' }>,
  trigger: Trigger,
  drift: boolean,
  deps: IntakeDeps,
): Promise<IntakeResult> {
  const result = await startWorkflow(event.ref, trigger, event.eventId, event.eventTime, deps);
  if (drift) await publishDrift(event, deps);
  return result;
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
        calledAt: new Date(event.eventTime).toISOString(),
        ...(event.requestedKey ? { key: event.requestedKey } : {}),
      },
      deps.clock.now(),
      event.eventId,
    ),
  ]);
}
