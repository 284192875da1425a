import { LeaseHeldError } from './errors.ts';
import type { Trigger } from './events.ts';
import { executionName } from './intake/execution-name.ts';
import type { Clock, LeaseStore, WorkflowStarter } from './ports.ts';
import type { StreamRef } from './stream-ref.ts';

/** What starting a stream's workflow needs: the intake and the sweep both start workflows this way. */
export interface WorkflowStartDeps {
  leases: LeaseStore;
  starter: WorkflowStarter;
  clock: Clock;
  /** How long a started workflow holds the stream's lease at most (it gives it back when it ends). */
  leaseSeconds: number;
}

export type WorkflowStartResult =
  | { action: 'started'; executionName: string; trigger: Trigger }
  /** The stream's workflow is running: the trigger is noted on its lease (generation), so it looks again before it ends. */
  | { action: 'already-running'; executionName: string; holder: string; generation: number }
  | { action: 'ignored'; reason: string };

/** Attempts to take a lease or note a trigger on it before giving up (each loses only to a concurrent change). */
const LEASE_ATTEMPTS = 5;
/** A lease younger than this is never taken over: its intake may still be starting the execution. */
export const ORPHAN_GRACE_MS = 5 * 60_000;

/**
 * Claims the stream's lease for the execution, then starts it; gives the lease back if nothing started.
 * When another execution holds the lease, the trigger is noted on it (the trigger generation), so that
 * the holder looks at the stream again before it gives the lease back: a trigger is never dropped.
 */
export async function startWorkflow(
  ref: StreamRef,
  trigger: Trigger,
  eventKey: string,
  detectedAt: number,
  deps: WorkflowStartDeps,
  tag = 'e',
): Promise<WorkflowStartResult> {
  const name = executionName(ref, eventKey, tag);
  const now = deps.clock.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.leases.acquire(ref, name, now, deps.leaseSeconds * 1000);
      break;
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      // A lease whose holder is not running (its execution never started: the intake failed between
      // the lease and StartExecution; or it ended without its cleanup) is taken over, after a grace
      // period that covers an intake still on its way to StartExecution.
      if (
        error.takenAt !== undefined &&
        now - error.takenAt > ORPHAN_GRACE_MS &&
        deps.starter.isRunning &&
        !(await deps.starter.isRunning(error.holder))
      ) {
        if (await deps.leases.takeOver(ref, error.holder, name, now, deps.leaseSeconds * 1000)) break;
        continue;
      }
      // The lease may have been given back (or expired) between the two calls: then take it again.
      const noted = await deps.leases.noteTrigger(ref, now);
      if (noted) return { action: 'already-running', executionName: name, holder: noted.holder, generation: noted.generation };
      if (attempt >= LEASE_ATTEMPTS) throw error;
    }
  }
  try {
    const stream = { account: ref.account, region: ref.region, name: ref.name };
    const { started } = await deps.starter.start(name, {
      stream,
      trigger,
      correlationId: name,
      ...(Number.isFinite(detectedAt) ? { detectedAt } : {}),
    });
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
