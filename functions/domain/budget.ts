import { ENCRYPTION_CALL_WINDOW_MS, ENCRYPTION_CALLS_PER_WINDOW } from './firehose-facts.ts';
import { BudgetExhaustedError, InvalidInputError } from './errors.ts';

/** One Start or Stop call on a stream, by the remediator or anyone else. */
export interface LedgerCall {
  /** Idempotency key: the reservation id for ours, the CloudTrail event id for others'. */
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  readonly by: 'remediator' | 'other';
  readonly operation: 'Start' | 'Stop';
  /** Who made it (an IAM ARN), when known. */
  readonly principal?: string;
  /** Firehose's request id: on our calls once confirmed, on others' from CloudTrail's `requestID`. */
  readonly requestId?: string;
  /**
   * For our call whose fate is unknown (a 5xx or a lost connection): it counts until then (epoch ms),
   * and is dropped after unless confirmed. If Firehose did accept it, its CloudTrail echo is in the
   * ledger by then under its own request id, so the ledger ends equal to what Firehose accepted.
   */
  readonly unconfirmedUntil?: number;
}

/** How long a call of unknown fate counts without confirmation: longer than CloudTrail takes to deliver it. */
export const UNCONFIRMED_CALL_MS = 3_600_000;

export interface BudgetStatus {
  /** Calls by anyone in the last 24 hours. */
  readonly total: number;
  /** Calls by the remediator in the last 24 hours. */
  readonly ours: number;
  /** Calls left before Firehose refuses (25 - total). */
  readonly remainingTotal: number;
  /** Calls the remediator may still make (bounded by its share and by the total). */
  readonly remainingOurs: number;
  /** When the remediator may call again, if it may not now (epoch ms). */
  readonly nextAvailableAt?: number;
}

/** The calls that count now: those less than 24 hours old ("25 calls per delivery stream per 24 hours", rolling). */
export function callsInWindow(calls: readonly LedgerCall[], now: number): LedgerCall[] {
  return calls.filter(
    (c) =>
      c.at > now - ENCRYPTION_CALL_WINDOW_MS &&
      !(c.unconfirmedUntil !== undefined && c.requestId === undefined && c.unconfirmedUntil <= now),
  );
}

/** Marks our reservation whose call's fate is unknown: it counts until `until`, then goes unless confirmed. */
export function markCallUnknown(calls: readonly LedgerCall[], id: string, until: number, now: number): LedgerCall[] {
  return callsInWindow(calls, now).map((c) => (c.id === id && c.requestId === undefined ? { ...c, unconfirmedUntil: until } : c));
}

/** The budget of one stream at `now`, for a remediator allowed `share` of the 25 calls. */
export function budgetStatus(calls: readonly LedgerCall[], now: number, share: number): BudgetStatus {
  const window = callsInWindow(calls, now).sort((a, b) => a.at - b.at);
  const ours = window.filter((c) => c.by === 'remediator');
  const remainingTotal = Math.max(0, ENCRYPTION_CALLS_PER_WINDOW - window.length);
  const remainingOurs = Math.max(0, Math.min(share - ours.length, remainingTotal));
  if (remainingOurs > 0) return { total: window.length, ours: ours.length, remainingTotal, remainingOurs };
  // The next call becomes available when enough calls age out of the window to satisfy both limits.
  const freeTotalAt =
    window.length >= ENCRYPTION_CALLS_PER_WINDOW
      ? window[window.length - ENCRYPTION_CALLS_PER_WINDOW]!.at + ENCRYPTION_CALL_WINDOW_MS
      : now;
  const freeOursAt = ours.length >= share ? ours[ours.length - share]!.at + ENCRYPTION_CALL_WINDOW_MS : now;
  return { total: window.length, ours: ours.length, remainingTotal, remainingOurs, nextAvailableAt: Math.max(freeTotalAt, freeOursAt) };
}

/**
 * Adds the remediator's call to the ledger, or refuses with the time at which the next call becomes
 * available. Never lets the stream pass 25 calls in any 24 hours, nor the remediator pass its share.
 * Returns the pruned ledger with the call in it. Reserving an id already present changes nothing.
 */
export function reserveCall(calls: readonly LedgerCall[], call: LedgerCall, share: number): LedgerCall[] {
  const pruned = callsInWindow(calls, call.at);
  if (pruned.some((c) => c.id === call.id)) return pruned;
  const status = budgetStatus(pruned, call.at, share);
  if (status.remainingOurs === 0) {
    throw new BudgetExhaustedError(
      `no encryption call left for this stream: ${status.total} of ${ENCRYPTION_CALLS_PER_WINDOW} calls in the last 24 hours, ` +
        `${status.ours} of the remediator's ${share}; next call at ${new Date(status.nextAvailableAt ?? call.at).toISOString()}`,
      status.nextAvailableAt ?? call.at,
    );
  }
  return [...pruned, call];
}

/**
 * Records a call someone made (or the echo of ours): idempotent by id, pruned to the window.
 * A call is recorded even when it takes the ledger past the limit: it happened.
 */
export function recordCall(calls: readonly LedgerCall[], call: LedgerCall, now: number): { calls: LedgerCall[]; recorded: boolean } {
  const pruned = callsInWindow(calls, now);
  const known = pruned.some((c) => c.id === call.id || (call.requestId !== undefined && c.requestId === call.requestId));
  if (known || call.at <= now - ENCRYPTION_CALL_WINDOW_MS) return { calls: pruned, recorded: false };
  // The echo of our own Start that was never confirmed (the task died between the call and the
  // confirmation, or the answer was lost): it confirms that reservation instead of counting twice.
  if (call.by === 'remediator' && call.requestId !== undefined) {
    const unconfirmed = pruned
      .filter(
        (c) =>
          c.by === 'remediator' && c.operation === call.operation && c.requestId === undefined && Math.abs(c.at - call.at) <= ECHO_MATCH_MS,
      )
      .sort((a, b) => Math.abs(a.at - call.at) - Math.abs(b.at - call.at))[0];
    if (unconfirmed) {
      const requestId = call.requestId;
      return { calls: pruned.map((c) => (c === unconfirmed ? { ...c, requestId } : c)), recorded: false };
    }
  }
  return { calls: [...pruned, call], recorded: true };
}

/** How far apart a reservation of ours and the CloudTrail time of its call can be. */
const ECHO_MATCH_MS = 5 * 60_000;

/**
 * Ties our reservation to the request id Firehose answered with, so that the call's CloudTrail echo
 * (same `requestID`) is known as ours and not counted twice, whichever of the two arrives first: an
 * echo recorded before the confirmation is merged into the reservation here.
 */
export function confirmCall(calls: readonly LedgerCall[], id: string, requestId: string, now: number): LedgerCall[] {
  const pruned = callsInWindow(calls, now);
  if (!pruned.some((c) => c.id === id)) return pruned;
  return pruned.filter((c) => c.id === id || c.requestId !== requestId).map((c) => (c.id === id ? { ...c, requestId } : c));
}

/**
 * Removes a reservation whose call Firehose certainly did not accept. A reservation already tied to a
 * request id was accepted (a retried task's second Start was refused, not its first): it stays.
 */
export function releaseCall(calls: readonly LedgerCall[], id: string, now: number): LedgerCall[] {
  return callsInWindow(calls, now).filter((c) => c.id !== id || c.requestId !== undefined);
}

/** Refuses a call record that could corrupt the ledger (no id, no time, unknown caller or operation). */
export function checkLedgerCall(call: LedgerCall): LedgerCall {
  const problems: string[] = [];
  if (typeof call.id !== 'string' || call.id.length === 0 || call.id.length > 256) problems.push('id: expected 1 to 256 characters');
  if (!Number.isFinite(call.at) || call.at < 0) problems.push(`at: expected epoch milliseconds, got ${String(call.at)}`);
  if (call.by !== 'remediator' && call.by !== 'other')
    problems.push(`by: expected "remediator" or "other", got ${JSON.stringify(call.by)}`);
  if (call.operation !== 'Start' && call.operation !== 'Stop')
    problems.push(`operation: expected "Start" or "Stop", got ${JSON.stringify(call.operation)}`);
  if (problems.length > 0) throw new InvalidInputError(`invalid ledger call: ${problems.join('; ')}`, problems);
  return call;
}
