import { buildEvent, ROLL_UP_LIST_LIMIT, type GuardEvent } from '../events.ts';
import { MalformedEventError } from '../errors.ts';
import type { AccountDirectory } from '../ports.ts';
import type { SweepCursor, SweepTotals } from '../shapes.ts';
import { newSweep } from './sweep.ts';

/**
 * What one deployment sweeps: its own account, or every account of its organization (AWS
 * Organizations ListAccounts, ACTIVE ones), narrowed by include and exclude lists; the configured
 * regions, or every region enabled in each account.
 */
export interface SweepScope {
  readonly home: string;
  /** `account`: the home account only; `organization`: the organization's accounts. */
  readonly accounts: 'account' | 'organization';
  /** Only these accounts (empty: all). */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** These regions in every account, or `enabled`: each account's enabled regions. */
  readonly regions: readonly string[] | 'enabled';
}

/** A sweep's plan: the accounts it covers, each swept in parallel by the sweep state machine's Map. */
export interface SweepPlan {
  sweepId: string;
  startedAt: number;
  accounts: { sweepId: string; startedAt: number; account: string }[];
}

/** One account and region of a sweep: the unit the sweep state machine sweeps in parallel, paced by its own quota. */
export interface SweepTarget {
  sweepId: string;
  startedAt: number;
  account: string;
  region: string;
}

/** What a finished (or failed) account and region hands to the roll-up: counts only, so that thousands fit the state machine's payload. */
export interface TargetSummary {
  account: string;
  region?: string;
  totals?: SweepTotals;
  workflowsStarted?: number;
  /** Why the account or region could not be swept (the state machine caught the error). */
  error?: string;
}

/** The accounts a sweep covers. A listed include account that the organization does not have (or that is not ACTIVE) is not swept. */
export async function planSweep(
  sweepId: string,
  now: number,
  scope: SweepScope,
  directory: AccountDirectory | undefined,
): Promise<SweepPlan> {
  let accounts: string[];
  if (scope.accounts === 'account') accounts = [scope.home];
  else {
    if (!directory) throw new MalformedEventError('sweep plan: an organization sweep needs the account directory');
    accounts = (await directory.accounts()).filter((a) => a.status === 'ACTIVE').map((a) => a.id);
  }
  const include = new Set(scope.include);
  const exclude = new Set(scope.exclude);
  const chosen = [...new Set(accounts)]
    .filter((a) => (include.size === 0 || include.has(a)) && !exclude.has(a))
    .sort((a, b) => (a === scope.home ? -1 : b === scope.home ? 1 : a.localeCompare(b)));
  return { sweepId, startedAt: now, accounts: chosen.map((account) => ({ sweepId, startedAt: now, account })) };
}

/** One account's targets: its regions (configured, or enabled in the account), each a target of its own. */
export async function accountTargets(
  item: { sweepId: string; startedAt: number; account: string },
  scope: SweepScope,
  directory: AccountDirectory | undefined,
): Promise<SweepTarget[]> {
  let regions: readonly string[];
  if (scope.regions !== 'enabled') regions = scope.regions;
  else {
    if (!directory)
      throw new MalformedEventError(`sweep ${item.sweepId}: the enabled regions of ${item.account} need the account directory`);
    regions = [...(await directory.enabledRegions(item.account))].sort();
  }
  return regions.map((region) => ({ ...item, region }));
}

/** The cursor of a target's first invocation. */
export const targetCursor = (target: SweepTarget): SweepCursor =>
  newSweep(target.sweepId, target.account, [target.region], target.startedAt);

/** The organization roll-up: totals over every target, the worst targets first, and the ones that failed. */
export function rollUp(
  sweepId: string,
  startedAt: number,
  summaries: readonly TargetSummary[],
  now: number,
): GuardEvent<'organizationSnapshot'> {
  const totals: SweepTotals = { streams: 0, COMPLIANT: 0, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 0 };
  const swept = summaries.filter((s): s is TargetSummary & { region: string; totals: SweepTotals } => !s.error && !!s.totals && !!s.region);
  const failed = summaries.filter((s) => s.error !== undefined);
  let workflowsStarted = 0;
  for (const s of swept) {
    for (const key of Object.keys(totals) as (keyof SweepTotals)[]) totals[key] += s.totals[key];
    workflowsStarted += s.workflowsStarted ?? 0;
  }
  const byTarget = swept
    .map((s) => ({ account: s.account, region: s.region, streams: s.totals.streams, nonCompliant: s.totals.REMEDIATE }))
    .sort((a, b) => b.nonCompliant - a.nonCompliant || a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
  const failures = failed.map((s) => ({
    account: s.account,
    ...(s.region ? { region: s.region } : {}),
    error: (s.error ?? '').slice(0, 500),
  }));
  const listed = byTarget.slice(0, ROLL_UP_LIST_LIMIT);
  return buildEvent(
    'organizationSnapshot',
    {
      sweepId,
      startedAt: new Date(startedAt).toISOString(),
      accounts: new Set(summaries.map((s) => s.account)).size,
      targets: swept.length,
      totals,
      workflowsStarted,
      byTarget: listed,
      failed: failures.slice(0, ROLL_UP_LIST_LIMIT),
      truncated: byTarget.length > listed.length || failures.length > ROLL_UP_LIST_LIMIT,
    },
    now,
    sweepId,
  );
}
