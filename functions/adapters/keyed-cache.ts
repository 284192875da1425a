/** One value per key, made on first use: an SDK client per region (or per account and region). */
export function keyedCache<V>(make: (key: string) => V): ((key: string) => V) & { values(): IterableIterator<V> } {
  const values = new Map<string, V>();
  const get = (key: string): V => {
    let value = values.get(key);
    if (value === undefined) values.set(key, (value = make(key)));
    return value;
  };
  return Object.assign(get, { values: () => values.values() });
}

/**
 * At most `concurrency` tasks at once: waits for a free slot (no polling), starts the task, and
 * resolves with `{ done }`, the task's own promise.
 */
export function concurrencyLimit(concurrency: number): <T>(task: () => Promise<T>) => Promise<{ done: Promise<T> }> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>) => {
    while (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    return { done: task().finally(release) };
  };
}
