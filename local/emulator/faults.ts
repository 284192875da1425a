import type { EncryptionFailureType } from '../../functions/domain/firehose-facts.ts';

export interface InjectedError {
  /** The `__type` to answer with, e.g. `ServiceUnavailableException`. */
  type: string;
  message?: string;
  statusCode?: number;
}

export interface InjectedEnablementFailure {
  type: EncryptionFailureType;
  details?: string;
}

/**
 * Faults that tests and engineers inject: the next N calls of an operation fail with a given error,
 * an operation answers late, the next N encryptions end in ENABLING_FAILED although the key is fine.
 */
export class FaultInjector {
  readonly #failures = new Map<string, { remaining: number; error: InjectedError }[]>();
  readonly #latency = new Map<string, number>();
  readonly #enablementFailures: { remaining: number; failure: InjectedEnablementFailure; stream?: string }[] = [];

  /** Fails the next `count` calls of `operation` (e.g. `StartDeliveryStreamEncryption`, or `*`). */
  failNext(operation: string, count: number, error: InjectedError): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    const queue = this.#failures.get(operation) ?? [];
    queue.push({ remaining: count, error });
    this.#failures.set(operation, queue);
  }

  /** Adds `ms` of latency to every call of `operation` (or `*`); 0 removes it. */
  setLatency(operation: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be >= 0 ms, got ${ms}`);
    if (ms === 0) this.#latency.delete(operation);
    else this.#latency.set(operation, ms);
  }

  /** Ends the next `count` accepted Start calls (on `stream`, or any) in ENABLING_FAILED. */
  failNextEnablement(count: number, failure: InjectedEnablementFailure, stream?: string): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    this.#enablementFailures.push({ remaining: count, failure, ...(stream ? { stream } : {}) });
  }

  takeFailure(operation: string): InjectedError | undefined {
    for (const key of [operation, '*']) {
      const queue = this.#failures.get(key);
      const head = queue?.[0];
      if (!queue || !head) continue;
      head.remaining -= 1;
      if (head.remaining === 0) queue.shift();
      return head.error;
    }
    return undefined;
  }

  latencyFor(operation: string): number {
    return this.#latency.get(operation) ?? this.#latency.get('*') ?? 0;
  }

  takeEnablementFailure(stream: string): InjectedEnablementFailure | undefined {
    const index = this.#enablementFailures.findIndex((f) => f.stream === undefined || f.stream === stream);
    const entry = this.#enablementFailures[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#enablementFailures.splice(index, 1);
    return entry.failure;
  }

  reset(): void {
    this.#failures.clear();
    this.#latency.clear();
    this.#enablementFailures.length = 0;
  }
}
