import { AsyncLocalStorage } from 'node:async_hooks';

/** What one execution (or any metered scope) did: calls per service and operation. */
export class Meter {
  readonly calls = new Map<string, number>();

  count(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  /** Calls of one service, by operation. */
  byOperation(service: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.calls) {
      const [s, op] = key.split(':') as [string, string];
      if (s === service) out[op] = n;
    }
    return out;
  }

  total(service: string, operations?: readonly string[]): number {
    return Object.entries(this.byOperation(service))
      .filter(([op]) => !operations || operations.includes(op))
      .reduce((sum, [, n]) => sum + n, 0);
  }
}

/** Any AWS SDK v3 client. Its middleware types differ per service; the meter reads only `commandName`. */
interface MeteredClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  middlewareStack: { add(middleware: any, options: { step: 'initialize'; name: string }): void };
}

type Next = (args: unknown) => Promise<unknown>;

/**
 * Counts every SDK command into the meter of the scope it runs in (AsyncLocalStorage follows the
 * awaits of one execution's handlers), and into a total for the whole run. Counted once per
 * logical call, before the SDK's own retries.
 */
export class CallMeter {
  readonly #scope = new AsyncLocalStorage<Meter>();
  readonly total = new Meter();

  /** Counts one call in the current scope and in the total. */
  record(service: string, operation: string): void {
    this.total.count(service, operation);
    this.#scope.getStore()?.count(service, operation);
  }

  attach(client: MeteredClient, service: string): void {
    client.middlewareStack.add(
      (next: Next, context: { commandName?: string }) => async (args: unknown) => {
        this.record(service, (context.commandName ?? 'Unknown').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: `meter-${service}` },
    );
  }

  /** Runs `fn` with `meter` collecting the calls it makes. */
  within<T>(meter: Meter, fn: () => Promise<T>): Promise<T> {
    return this.#scope.run(meter, fn);
  }
}
