import { FRONTIER_HORIZON_MS, nextEstimate } from '../functions/domain/pacing.ts';
import type { ControlPlanePacer, EnablingEstimates, PaceScope } from '../functions/domain/ports.ts';

const keyOf = (scope: { account: string; region: string; operation?: string }) =>
  `${scope.account}/${scope.region}/${scope.operation ?? ''}`;

/**
 * The shared pacing in one process (the CLI without the deployed table, the local account's tests):
 * the same frontier rules as DynamoControlPlanePacer. A rate of Infinity paces nothing.
 */
export class MemoryControlPlanePacer implements ControlPlanePacer, EnablingEstimates {
  readonly #intervalMs: number;
  readonly #next = new Map<string, number>();
  readonly #typical = new Map<string, number>();

  constructor(readonly callsPerSecond: number) {
    if (!(callsPerSecond > 0)) throw new RangeError(`a pacer needs a positive rate, got ${callsPerSecond}`);
    // Whole milliseconds (rounded up, so never faster than the rate): slots are exact epoch ms, as a Wait timestamp is.
    this.#intervalMs = Math.ceil(1000 / callsPerSecond);
  }

  /** The frontier as the DynamoDB pacer reads it: one beyond the horizon (a fast clock's) counts as none. */
  #frontier(scope: PaceScope, now: number): number {
    const next = this.#next.get(keyOf(scope)) ?? now;
    return next > now + FRONTIER_HORIZON_MS ? now : Math.max(now, next);
  }

  async reserve(scope: PaceScope, now: number): Promise<number> {
    const slot = this.#frontier(scope, now);
    this.#next.set(keyOf(scope), slot + this.#intervalMs);
    return slot;
  }

  async frontier(scope: PaceScope, now: number): Promise<number> {
    return this.#frontier(scope, now);
  }

  async backOff(scope: PaceScope, until: number): Promise<void> {
    this.#next.set(keyOf(scope), Math.max(until, this.#frontier(scope, until)));
  }

  async typical(scope: { account: string; region: string }): Promise<number | undefined> {
    return this.#typical.get(keyOf(scope));
  }

  async learn(scope: { account: string; region: string }, waitedMs: number, enabledByThen: boolean): Promise<void> {
    this.#typical.set(keyOf(scope), nextEstimate(waitedMs, enabledByThen));
  }
}

/** Estimates that learn nothing: the first look after a Start always comes after the configured pollSeconds. */
export const FIXED_POLLING: EnablingEstimates = {
  typical: async () => undefined,
  learn: async () => {},
};
