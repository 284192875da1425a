/** Time in epoch milliseconds. The emulator never reads the system time except through a Clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that moves only when told to, so that a test can jump 24 hours without waiting.
 *
 * @example
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * clock.advance(24 * 60 * 60 * 1000);
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }

  set(epochMs: number): void {
    if (epochMs < this.#now) throw new RangeError('a clock only moves forward');
    this.#now = epochMs;
  }
}
