import { ENCRYPTION_SETTLE_MS } from '../firehose-facts.ts';
import type { WorkflowSettings } from './state.ts';
import { ENABLING_ESTIMATE_MAX_MS, MAX_SLOT_WAITS } from '../pacing.ts';
import { MAX_SLOT_WAIT_MS } from './paced-calls.ts';

/**
 * One set of numbers bounds an execution, its lease and the state machine's timeout.
 *
 * - `EXECUTION_TIMEOUT_SECONDS` is the ASL's `TimeoutSeconds` (a test holds them equal).
 * - `worstCaseExecutionSeconds(settings)` adds up every wait the settings allow, the waits for slots
 *   of the shared pacing, and every task at its Lambda timeout with all of its ASL retries; the configuration refuses settings whose worst case
 *   does not fit in the timeout.
 * - `LEASE_SECONDS` outlives the timeout by the time the cleanup needs to hear of a timed-out
 *   execution, so a lease never dies before its execution; the cleanup (Step Functions status change)
 *   gives it back when the execution ends any other way than through Conclude.
 */
export const EXECUTION_TIMEOUT_SECONDS = 86_400;
export const CLEANUP_MARGIN_SECONDS = 900;
export const LEASE_SECONDS = EXECUTION_TIMEOUT_SECONDS + CLEANUP_MARGIN_SECONDS;

/** The remediation tasks' Lambda timeout (serverless.yml `provider.timeout`). */
export const TASK_TIMEOUT_SECONDS = 60;
/**
 * The ASL's task Retry, as the worst case: 1 attempt + 4 retries on domain errors (waits 2, 4, 8, 16 s)
 * + 3 on Lambda service errors (waits 2, 4, 8 s); `test/workflow/asl-structure.test.ts` checks this
 * against the ASL.
 */
export const TASK_RETRY = { invocations: 1 + 4 + 3, retryWaitSeconds: 2 + 4 + 8 + 16 + (2 + 4 + 8) } as const;
/** Conclude may send the workflow back to Inspect when triggers arrived; this many rounds at most. */
export const MAX_CONCLUDE_ROUNDS = 3;

/**
 * The sum of the polling waits after one Start, at most: the first one is the learnt ENABLING
 * estimate (at most ENABLING_ESTIMATE_MAX_MS) or pollSeconds; the next ones start at half of it and
 * double, up to maxPollSeconds (check.ts, nextPollSeconds).
 */
export function pollWaitSeconds(settings: WorkflowSettings): number {
  const first = Math.max(settings.pollSeconds, ENABLING_ESTIMATE_MAX_MS / 1000);
  let total = first;
  for (let poll = 1; poll < settings.maxPolls; poll += 1)
    total += Math.min(Math.max(2, Math.ceil(first / 2)) * 2 ** (poll - 1), settings.maxPollSeconds);
  return total;
}

export function worstCaseExecutionSeconds(settings: WorkflowSettings): number {
  const settleSeconds = ENCRYPTION_SETTLE_MS / 1000;
  const waits =
    settings.maxBusyWaits * settings.busyWaitSeconds +
    // A budget wait lasts until the oldest call ages out, at most the horizon, plus one second.
    settings.maxBudgetWaits * (settings.budgetWaitHorizonSeconds + 1) +
    settings.maxAttempts * pollWaitSeconds(settings) +
    Array.from({ length: settings.maxAttempts }, (_, attempt) => settings.retrySeconds * 2 ** attempt).reduce((a, b) => a + b, 0) +
    (settings.maxInspections + 1) * settleSeconds +
    // Waits for slots of the shared pacing (WAIT_SLOT), in all: past this the execution is deferred.
    MAX_SLOT_WAIT_MS / 1000;
  const tasks =
    settings.maxInspections +
    1 + // Inspect (the one past the bound concludes)
    settings.maxInspections + // Enable: only ever after an Inspect
    settings.maxAttempts * settings.maxPolls + // Check
    MAX_CONCLUDE_ROUNDS +
    1 + // Conclude
    MAX_SLOT_WAITS; // a task run again after each WaitSlot (throttles included)
  const perTask = TASK_RETRY.invocations * TASK_TIMEOUT_SECONDS + TASK_RETRY.retryWaitSeconds;
  return waits + tasks * perTask;
}
