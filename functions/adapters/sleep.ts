/** Waits `ms` milliseconds of real time (adapters only: the domain never waits, it is told the time). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
