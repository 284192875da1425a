import type { GuardEvent } from '../functions/domain/events.ts';

/**
 * Time to protected, from the remediations' own events: from the trigger (or the sweep) finding the
 * stream to ENABLED plus the 5-second settle (`timeToCompliantSeconds` of Remediation Succeeded), sorted.
 */
export function timesToProtected(events: readonly Pick<GuardEvent, 'detail'>[]): number[] {
  return events
    .map((e) => (e.detail as { timeToCompliantSeconds?: number }).timeToCompliantSeconds)
    .filter((t): t is number => typeof t === 'number')
    .sort((a, b) => a - b);
}

/** The p-th percentile of sorted values (nearest rank), 0 when there are none. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
