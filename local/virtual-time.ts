import type { ManualClock } from './emulator/clock.ts';

/**
 * How time passes on the local account. `jump` (the default, for tests): a wait moves the shared
 * manual clock at once, whoever waits. `virtual`: a discrete-event clock (VirtualTime), for the
 * scenario and the benchmarks, where concurrent executions share one timeline.
 */
export interface LocalTime {
  readonly mode: 'jump' | 'virtual';
  busy<T>(work: () => Promise<T>): Promise<T>;
  /** Runs works at once (each its own work on virtual time) and waits for all. */
  inParallel<T>(works: (() => Promise<T>)[]): Promise<T[]>;
  sleep(ms: number): Promise<void>;
  sleepUntil(at: number): Promise<void>;
  /** Lets simulated time pass until nothing is left to happen (virtual); nothing to do (jump). */
  run(): Promise<void>;
}

/** Waits move the manual clock at once. */
export function jumpTime(clock: ManualClock): LocalTime {
  return {
    mode: 'jump',
    busy: (work) => work(),
    inParallel: (works) => Promise.all(works.map((work) => work())),
    sleep: async (ms) => {
      if (ms > 0) clock.advance(ms);
    },
    sleepUntil: async (at) => {
      if (at > clock.now()) clock.set(at);
    },
    run: async () => {},
  };
}

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * Simulated time for the local account: a discrete-event clock. Every actor (an execution, an intake
 * delivery, the sweep) is counted as busy while it works; when it sleeps, it waits for the clock to
 * reach its time. `run()` moves the manual clock only when no actor is busy, to the earliest
 * sleeper's time, and wakes the sleepers due then. So concurrent executions share one timeline: a
 * Wait of 20 s takes 20 s of it for that execution while the others go on, and no wall time passes
 * beyond the work itself. Real I/O (the emulator, dynalite) happens inside busy spans.
 */
export class VirtualTime implements LocalTime {
  #busy = 0;
  #seq = 0;
  readonly #sleepers: Sleeper[] = [];
  readonly #idle: (() => void)[] = [];
  readonly mode = 'virtual';

  constructor(readonly clock: ManualClock) {}

  /**
   * Runs `work` as one unit of work: counted busy from this call (synchronously) until it settles,
   * except while it sleeps. Each sequence of steps that may sleep (an execution, a delivery, the
   * sweep, each of its parallel evaluations) must be its own unit, and never nested in another.
   */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.#busy += 1;
    try {
      return await work();
    } finally {
      this.#leave();
    }
  }

  /**
   * Runs `works` at once, each counted as busy on its own, while the caller waits without being
   * busy (else a caller waiting for sleeping works would keep the clock from moving).
   */
  async inParallel<T>(works: (() => Promise<T>)[]): Promise<T[]> {
    const running = works.map((work) => this.busy(work));
    this.#leave();
    try {
      return await Promise.all(running);
    } finally {
      this.#busy += 1;
    }
  }

  /** Sleeps a busy actor for `ms` of simulated time: it is not busy until the clock reaches then. */
  sleep(ms: number): Promise<void> {
    return this.sleepUntil(this.clock.now() + Math.max(0, ms));
  }

  sleepUntil(at: number): Promise<void> {
    if (at <= this.clock.now()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#sleepers.push({ at, seq: (this.#seq += 1), wake: resolve });
      this.#leave();
    });
  }

  get sleeping(): number {
    return this.#sleepers.length;
  }

  get busyCount(): number {
    return this.#busy;
  }

  /**
   * Runs the clock until nothing is busy and nobody sleeps, or the clock would pass `until`. Waking a
   * sleeper counts it as busy before it runs, so the clock never moves under it.
   */
  async run(until = Number.POSITIVE_INFINITY): Promise<void> {
    for (;;) {
      await this.#quiet();
      if (this.#sleepers.length === 0) return;
      this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = (this.#sleepers[0] as Sleeper).at;
      if (next > until) return;
      if (next > this.clock.now()) this.clock.set(next);
      while (this.#sleepers.length > 0 && (this.#sleepers[0] as Sleeper).at <= next) {
        const sleeper = this.#sleepers.shift() as Sleeper;
        this.#busy += 1;
        sleeper.wake();
      }
    }
  }

  #leave(): void {
    if (this.#busy <= 0) throw new Error('virtual time: a sleep or an end of work outside any unit of work (run it in busy())');
    this.#busy -= 1;
    if (this.#busy === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves once no actor is busy, checked again after pending callbacks have run. */
  async #quiet(): Promise<void> {
    for (;;) {
      if (this.#busy > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#busy === 0) return;
    }
  }
}
