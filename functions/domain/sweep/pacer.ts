import type { Clock } from '../ports.ts';

/**
 * Spaces calls evenly at `ratePerSecond`: each `take()` resolves at the earliest slot one interval
 * after the previous one. Staying under a control-plane quota by design means the SDK's throttling
 * retries are the exception, not the way the rate is found.
 */
export class Pacer {
  readonly #intervalMs: number;
  #nextSlot = Number.NEGATIVE_INFINITY;

  constructor(
    ratePerSecond: number,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`a pacer needs a positive rate, got ${ratePerSecond}`);
    this.#intervalMs = 1000 / ratePerSecond;
  }

  async take(): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + this.#intervalMs;
    if (slot > now) await this.sleep(slot - now);
  }

  /** Pushes the next slot back (after the service said to slow down). */
  backOff(ms: number): void {
    this.#nextSlot = Math.max(this.#nextSlot, this.clock.now() + ms);
  }
}
