import type { Clock } from './emulator/clock.ts';

export interface TimeSource {
  clock: Clock;
  sleep(ms: number): Promise<void>;
}

/**
 * Wall-clock time running `factor` times faster: a second of it passes in 1/factor real seconds.
 * The emulator's rate limiter and the sweep's pacer share one, so a 5-per-second quota is exercised
 * exactly, only sooner. Factor 1 is real time.
 */
export function scaledTime(factor: number): TimeSource {
  if (!(factor >= 1)) throw new RangeError(`a time scale is at least 1, got ${factor}`);
  const originReal = performance.now();
  const originEpoch = Date.now();
  return {
    clock: { now: () => originEpoch + (performance.now() - originReal) * factor },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / factor)),
  };
}
