import { buildEvent, ROLL_UP_FAILED_LIMIT, ROLL_UP_LIST_LIMIT, type GuardEvent } from '../events.ts';
import { MalformedEventError } from '../errors.ts';
import type { AccountDirectory, TargetSummary } from '../ports.ts';

export type { TargetSummary } from '../ports.ts';
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

/** A failure's reason is cut to this many characters in the roll-up (the event must stay under 256 KB). */
export const ROLL_UP_ERROR_CHARS = 300;

/**
 * The organization roll-up: totals over every target, the worst targets first, and the ones that
 * failed. A planned account with no result at all (its failure could not even be recorded) is a
 * failure too: the roll-up never says less than the plan.
 */
export function rollUp(
  sweepId: string,
  startedAt: number,
  recorded: readonly TargetSummary[],
  now: number,
  planned: readonly string[] = [],
): GuardEvent<'organizationSnapshot'> {
  const seen = new Set(recorded.map((s) => s.account));
  const summaries: TargetSummary[] = [
    ...recorded,
    ...planned
      .filter((a) => !seen.has(a))
      .map((account) => ({ account, error: 'no result recorded for this account (its sweep step failed, and so did recording why)' })),
  ];
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
  const failures = failed
    .map((s) => ({ account: s.account, ...(s.region ? { region: s.region } : {}), error: (s.error ?? '').slice(0, ROLL_UP_ERROR_CHARS) }))
    .sort((a, b) => a.account.localeCompare(b.account) || (a.region ?? '').localeCompare(b.region ?? ''));
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
      failed: failures.slice(0, ROLL_UP_FAILED_LIMIT),
      truncated: byTarget.length > listed.length || failures.length > ROLL_UP_FAILED_LIMIT,
    },
    now,
    sweepId,
  );
}

/**
 * A failure as the sweep state machine catches it: the error name, and the Lambda's message out of
 * its Cause (a JSON text with errorMessage and a stack trace), cut short.
 */
export function failureText(error: string, cause: string | undefined): string {
  let message = cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the cause as it is.
  }
  return `${error}: ${message}`.slice(0, ROLL_UP_ERROR_CHARS);
}
