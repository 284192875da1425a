import { MalformedEventError } from '../errors.ts';
import { MAX_CONCLUDE_ROUNDS } from './bounds.ts';
import { concludeRemediation, finishConclusion, FOLLOW_UP_MS, retryTimeOf, type RemediationResult } from './conclude.ts';
import { arnOf } from '../stream-ref.ts';
import type { ConcludeDeps } from './deps.ts';
import { refOf, startState, type Outcome, type RemediationState } from './state.ts';

/** How an execution ended when it did not end through Conclude (Step Functions "Execution Status Change"). */
export interface ExecutionEnded {
  executionName: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** The execution's input: which stream, why. */
  state: RemediationState;
  error?: string;
  cause?: string;
}

const ENDINGS = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;

/** Reads an EventBridge "Step Functions Execution Status Change" event; anything else is refused. */
export function parseExecutionEnded(event: unknown): ExecutionEnded {
  const e = (typeof event === 'object' && event !== null ? event : {}) as {
    source?: unknown;
    'detail-type'?: unknown;
    detail?: Record<string, unknown>;
  };
  if (
    e.source !== 'aws.states' ||
    e['detail-type'] !== 'Step Functions Execution Status Change' ||
    typeof e.detail !== 'object' ||
    e.detail === null
  ) {
    throw new MalformedEventError('not a Step Functions Execution Status Change event');
  }
  const { name, status, input } = e.detail;
  if (typeof name !== 'string' || name.length === 0 || name.length > 80)
    throw new MalformedEventError('execution status change: detail.name must be the execution name');
  if (!ENDINGS.includes(status as ExecutionEnded['status']))
    throw new MalformedEventError(`execution status change: status ${JSON.stringify(status)} is not FAILED, TIMED_OUT or ABORTED`);
  let parsed: unknown;
  try {
    parsed = typeof input === 'string' ? JSON.parse(input) : input;
  } catch (error) {
    throw new MalformedEventError('execution status change: detail.input is not JSON', undefined, { cause: error });
  }
  const state = startState(parsed);
  if (state.correlationId !== name)
    throw new MalformedEventError(`execution status change: input names execution ${state.correlationId}, not ${name}`);
  const error = text(e.detail.error, 200);
  const cause = text(e.detail.cause, 900);
  return {
    executionName: name,
    status: status as ExecutionEnded['status'],
    state,
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  };
}

/**
 * The cleanup after an execution that failed, timed out or was aborted (ConcludeFailed included):
 * the stream is told FAILED (idempotently: a redelivered status change publishes nothing twice), a
 * retry is scheduled, and the lease is given back. When triggers arrived while it ran, the follow-up
 * is scheduled at once instead of in an hour: a lease never outlives its execution, and no trigger is
 * lost with it.
 */
export async function cleanUpExecution(ended: ExecutionEnded, deps: ConcludeDeps): Promise<RemediationResult & { followUp: boolean }> {
  const ref = refOf(ended.state);
  const now = deps.clock.now();
  const details = `execution ${ended.status}${ended.error ? `: ${ended.error}` : ''}${ended.cause ? ` (${ended.cause})` : ''}`;
  const outcomeId = `${ended.executionName}#cleanup`;
  const outcome = { status: 'FAILED', reason: 'UNEXPECTED', details } as const;
  // First what must not wait on anything else (the failure may be EventBridge's): the retry scheduled
  // (at once when triggers were noted), then the lease back at the generation that decided it, so a
  // trigger noted in between is never given back unseen. Then the outcome, told once (a redelivered
  // status change publishes nothing twice).
  let followUp = false;
  for (;;) {
    const lease = await deps.leases.observe(ref, ended.executionName, now);
    if (!lease.held) break;
    followUp ||= lease.generation > 0;
    if (followUp)
      await deps.scheduler.schedule(ref, now + FOLLOW_UP_MS, `triggers arrived while ${ended.executionName} ran`, `${outcomeId}#follow-up`);
    if ((await deps.leases.release(ref, ended.executionName, lease.generation)).released) break;
  }
  await deps.scheduler.schedule(ref, retryTimeOf(outcome, now) as number, 'FAILED UNEXPECTED', outcomeId);
  // Conclude recorded its outcome but could not tell all of it: tell the rest, and nothing more.
  if (await finishConclusion(ref, ended.executionName, deps)) {
    const record = await deps.states.get(ref);
    return {
      phase: 'DONE',
      stream: { ...ended.state.stream, arn: arnOf(ref) },
      status: (record?.verdict ?? 'FAILED') as Outcome['status'],
      callsSpent: 0,
      attempts: 0,
      followUp,
    };
  }
  const state: RemediationState = { ...ended.state, rounds: MAX_CONCLUDE_ROUNDS, outcome };
  const result = (await concludeRemediation(state, deps, { outcomeId })) as RemediationResult;
  return { ...result, followUp };
}
