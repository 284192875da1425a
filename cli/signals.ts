/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM: how the serving commands are stopped. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
