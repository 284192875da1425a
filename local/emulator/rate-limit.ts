import { CONTROL_PLANE_CALLS_PER_SECOND, CONTROL_PLANE_OPERATIONS } from '../../functions/domain/firehose-facts.ts';
import type { Clock } from './clock.ts';

export interface RateLimitOptions {
  /** Calls allowed in any one-second window. */
  perSecond?: number;
  /** `operation`: each control-plane operation has its own allowance (the developer guide's reading); `shared`: one for all. */
  scope?: 'operation' | 'shared';
}

const CONTROL_PLANE: ReadonlySet<string> = new Set(CONTROL_PLANE_OPERATIONS);

/**
 * The control-plane rate limit, a sliding one-second window. It runs on wall-clock time by default,
 * unlike the rest of the emulator: clients back off in real time, and a test that jumps the
 * domain clock by a day should not also refill or drain this allowance.
 */
export class ControlPlaneRateLimiter {
  readonly perSecond: number;
  readonly scope: 'operation' | 'shared';
  readonly #calls = new Map<string, number[]>();
  #throttled = 0;

  constructor(
    private readonly clock: Clock,
    options: RateLimitOptions = {},
  ) {
    this.perSecond = options.perSecond ?? CONTROL_PLANE_CALLS_PER_SECOND;
    this.scope = options.scope ?? 'operation';
    if (!Number.isInteger(this.perSecond) || this.perSecond < 1) throw new RangeError('perSecond must be a positive integer');
  }

  /** Takes one call from the allowance; false means the call must be throttled. */
  tryAcquire(operation: string): boolean {
    if (!CONTROL_PLANE.has(operation)) return true;
    const key = this.scope === 'shared' ? '*' : operation;
    const now = this.clock.now();
    const recent = (this.#calls.get(key) ?? []).filter((t) => t > now - 1000);
    if (recent.length >= this.perSecond) {
      this.#calls.set(key, recent);
      this.#throttled += 1;
      return false;
    }
    recent.push(now);
    this.#calls.set(key, recent);
    return true;
  }

  get throttledCount(): number {
    return this.#throttled;
  }

  reset(): void {
    this.#calls.clear();
    this.#throttled = 0;
  }
}
