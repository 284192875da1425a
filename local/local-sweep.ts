import type { WorkflowStarter } from '../functions/domain/ports.ts';
import {
  newSweep,
  SWEEP_DESCRIBES_PER_SECOND,
  sweepStep,
  sweepTuning,
  type SweepCursor,
  type SweepDeps,
} from '../functions/domain/sweep/sweep.ts';
import type { LocalAccount } from './account.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account.ts';
import { scaledTime, type TimeSource } from './scaled-time.ts';

export interface LocalSweepOptions {
  /** Defaults to the account's workflow starter (executions run); a test may record instead. */
  starter?: WorkflowStarter;
  /** The wall time the pacers run on (share it with the emulator's rate limiter). */
  time?: TimeSource;
  describesPerSecond?: number;
  /** Milliseconds each simulated invocation may run before handing on (default: unlimited). */
  invocationMs?: number;
  pageSize?: number;
  onStream?: SweepDeps['onStream'];
}

export interface LocalSweepResult {
  cursor: SweepCursor;
  invocations: number;
  /** Wall time the sweep took, on its time source. */
  elapsedMs: number;
}

/** Runs a whole sweep on the local account, continuing in process where Lambda would re-invoke itself. */
export async function runLocalSweep(account: LocalAccount, options: LocalSweepOptions = {}): Promise<LocalSweepResult> {
  const time = options.time ?? scaledTime(1);
  const rate = options.describesPerSecond ?? SWEEP_DESCRIBES_PER_SECOND;
  const began = time.clock.now();
  let cursor = newSweep(`sweep-local-${account.clock.now()}`, LOCAL_ACCOUNT_ID, [LOCAL_REGION], account.clock.now());
  const deps = {
    ...account.deps,
    starter: options.starter ?? account.starter,
    ...sweepTuning(rate, time.clock, (ms) => time.sleep(ms)),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    reserveMs: 0,
    ...(options.onStream ? { onStream: options.onStream } : {}),
  };
  for (;;) {
    const deadline = time.clock.now() + (options.invocationMs ?? Number.POSITIVE_INFINITY);
    const step = await sweepStep(cursor, { ...deps, remainingMs: () => deadline - time.clock.now() });
    cursor = step.cursor;
    if (step.done) return { cursor, invocations: cursor.invocations, elapsedMs: time.clock.now() - began };
  }
}
