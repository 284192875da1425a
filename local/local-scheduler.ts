import type { RetryScheduler } from '../functions/domain/ports.ts';
import type { StreamRef } from '../functions/domain/stream-ref.ts';
import type { Clock } from './emulator/clock.ts';

export interface ScheduledRetry {
  id: string;
  ref: StreamRef;
  at: number;
  reason: string;
}

/**
 * EventBridge Scheduler's one-time schedules for the local account, on its clock: a retry is due once
 * the clock reaches its time, is handed to the intake once, and is gone (ActionAfterCompletion DELETE).
 * Idempotent by id, as the deployed adapter is by schedule name.
 */
export class LocalRetryScheduler implements RetryScheduler {
  readonly #pending = new Map<string, ScheduledRetry>();
  /** Every retry ever scheduled, for tests and the report. */
  readonly history: ScheduledRetry[] = [];
  readonly #ids = new Set<string>();

  constructor(private readonly clock: Clock) {}

  async schedule(ref: StreamRef, at: number, reason: string, id: string): Promise<void> {
    if (this.#ids.has(id)) return;
    this.#ids.add(id);
    const retry = { id, ref, at, reason };
    this.#pending.set(id, retry);
    this.history.push(retry);
  }

  /** Retries whose time has come, oldest first, taken off the schedule. */
  takeDue(): ScheduledRetry[] {
    const now = this.clock.now();
    const due = [...this.#pending.values()].filter((r) => r.at <= now).sort((a, b) => a.at - b.at);
    for (const r of due) this.#pending.delete(r.id);
    return due;
  }

  /** Takes a stream's pending retries off the schedule (its test is over). */
  cancelFor(ref: StreamRef): void {
    for (const r of this.pendingFor(ref)) this.#pending.delete(r.id);
  }

  /** Retries still to come for a stream. */
  pendingFor(ref: StreamRef): ScheduledRetry[] {
    return [...this.#pending.values()].filter(
      (r) => r.ref.account === ref.account && r.ref.region === ref.region && r.ref.name === ref.name,
    );
  }

  get pending(): ScheduledRetry[] {
    return [...this.#pending.values()];
  }

  /** The earliest time a pending retry is due, if any. */
  get nextDueAt(): number | undefined {
    return Math.min(...[...this.#pending.values()].map((r) => r.at)) || undefined;
  }
}
