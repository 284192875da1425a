import type { ControlPlanePacer, WorkflowStarter } from '../functions/domain/ports.ts';
import { newSweep, sweepStep, SWEEP_TUNING, type SweepCursor, type SweepDeps } from '../functions/domain/sweep/sweep.ts';
import type { LocalAccount } from './account.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import {
  accountTargets,
  planSweep,
  rollUp,
  targetCursor,
  type SweepScope,
  type TargetSummary,
} from '../functions/domain/sweep/organization.ts';
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

/** The sweep's adapters on the local account: its own, paced on its time (an invocation's time is the caller's). */
function sweepDepsOf(account: LocalAccount, options: LocalSweepOptions): Omit<SweepDeps, 'remainingMs'> {
  const { time } = account;
  return {
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
}

/**
 * Runs a whole sweep on the local account, continuing in process where Lambda would hand on. In
 * virtual time the clock runs meanwhile, so this also waits for the workflows the sweep started.
 */
export async function runLocalSweep(account: LocalAccount, options: LocalSweepOptions = {}): Promise<LocalSweepResult> {
  const { clock, time } = account;
  const began = clock.now();
  const deps = sweepDepsOf(account, options);
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

export interface LocalOrganizationSweepResult {
  /** Every account's and region's compliance snapshot, then the organization roll-up. */
  summaries: TargetSummary[];
  rollUp: GuardEvent<'organizationSnapshot'>;
  elapsedMs: number;
}

/**
 * The organization sweep on the local account, as the sweep state machine runs it deployed
 * (infra/sweep-machine.asl.json: Plan, every account in parallel, each account's regions in
 * parallel, RollUp), with the same domain steps; each target's failure is caught and reported.
 */
export async function runLocalOrganizationSweep(
  account: LocalAccount,
  options: Omit<LocalSweepOptions, 'invocationMs'> = {},
): Promise<LocalOrganizationSweepResult> {
  const organization = account.organization;
  if (!organization) throw new RangeError('runLocalOrganizationSweep: the local account has no organization');
  const { clock, time } = account;
  const began = clock.now();
  const deps = { ...sweepDepsOf(account, options), remainingMs: () => Number.POSITIVE_INFINITY };
  const scope: SweepScope = {
    home: LOCAL_ACCOUNT_ID,
    accounts: 'organization',
    include: [],
    exclude: [],
    regions: [...organization.regions],
  };
  const sweep = time.busy(async () => {
    const plan = await planSweep(`sweep-org-${clock.now()}`, clock.now(), scope, organization.directory);
    const perAccount = await time.inParallel(
      plan.accounts.map((item) => async (): Promise<TargetSummary[]> => {
        let targets;
        try {
          targets = await accountTargets(item, scope, organization.directory);
        } catch (error) {
          return [{ account: item.account, error: `${(error as Error).name}: ${(error as Error).message}` }];
        }
        return time.inParallel(
          targets.map((target) => async (): Promise<TargetSummary> => {
            try {
              let cursor = targetCursor(target);
              for (;;) {
                const step = await sweepStep(cursor, deps);
                cursor = step.cursor;
                if (step.done) break;
              }
              return { account: target.account, region: target.region, totals: cursor.totals, workflowsStarted: cursor.workflowsStarted };
            } catch (error) {
              return { account: target.account, region: target.region, error: `${(error as Error).name}: ${(error as Error).message}` };
            }
          }),
        );
      }),
    );
    const summaries = perAccount.flat();
    const rollUpEvent = rollUp(plan.sweepId, plan.startedAt, summaries, clock.now());
    await account.deps.publisher.publish([rollUpEvent]);
    return { summaries, rollUp: rollUpEvent, elapsedMs: clock.now() - began };
  });
  const [result] = await Promise.all([sweep, time.run()]);
  return result;
}
