import type { ControlPlanePacer, WorkflowStarter } from '../functions/domain/ports.ts';
import { newSweep, sweepStep, SWEEP_TUNING, type SweepCursor, type SweepDeps } from '../functions/domain/sweep/sweep.ts';
import type { LocalAccount } from './account.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account.ts';

export interface LocalSweepOptions {
  /** Defaults to the account's workflow starter (executions run); a test may record instead. */
  starter?: WorkflowStarter;
  /** Defaults to the account's shared pacing (paced in virtual time, unpaced in jump time). */
  pacer?: ControlPlanePacer;
  /** Milliseconds of the account's time each simulated invocation may run before handing on (default: unlimited). */
  invocationMs?: number;
  pageSize?: number;
  onStream?: SweepDeps['onStream'];
}

export interface LocalSweepResult {
  cursor: SweepCursor;
  invocations: number;
  /** The account's time the sweep took (simulated time in virtual time). */
  elapsedMs: number;
}

/**
 * Runs a whole sweep on the local account, continuing in process where Lambda would hand on. In
 * virtual time the clock runs meanwhile, so this also waits for the workflows the sweep started.
 */
export async function runLocalSweep(account: LocalAccount, options: LocalSweepOptions = {}): Promise<LocalSweepResult> {
  const { clock, time } = account;
  const began = clock.now();
  const deps = {
    ...account.deps,
    starter: options.starter ?? account.starter,
    ...SWEEP_TUNING,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    pacer: options.pacer ?? account.deps.pacer,
    sleep: (ms: number) => time.sleep(ms),
    inParallel: (works: (() => Promise<void>)[]) => time.inParallel(works),
    reserveMs: 0,
    ...(options.onStream ? { onStream: options.onStream } : {}),
  };
  const sweep = time.busy(async () => {
    let cursor = newSweep(`sweep-local-${clock.now()}`, LOCAL_ACCOUNT_ID, [LOCAL_REGION], clock.now());
    for (;;) {
      const deadline = clock.now() + (options.invocationMs ?? Number.POSITIVE_INFINITY);
      const step = await sweepStep(cursor, { ...deps, remainingMs: () => deadline - clock.now() });
      cursor = step.cursor;
      if (step.done) return { cursor, invocations: cursor.invocations, elapsedMs: clock.now() - began };
    }
  });
  const [result] = await Promise.all([sweep, time.run()]);
  return result;
}
