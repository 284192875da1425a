import { describe, expect, it } from 'vitest';
import { FIXED_POLLING, MemoryControlPlanePacer } from '../../../local/memory-pacer.ts';
import { describePacer } from '../../support/pacer-suite.ts';

const T0 = Date.UTC(2026, 10, 1);
const scope = { account: '123456789012', region: 'us-east-1', operation: 'DescribeDeliveryStream' } as const;

describePacer('local/memory-pacer.ts (in memory)', async () => {
  // One store for every pacer of the backend, as the DynamoDB pacers share their table.
  const byRate = new Map<number, MemoryControlPlanePacer>();
  return {
    pacer: (rate) => {
      if (!byRate.has(rate)) byRate.set(rate, new MemoryControlPlanePacer(rate));
      return byRate.get(rate)!;
    },
    close: async () => {},
  };
});

describe('in-memory pacer, beyond the shared suite', () => {
  it('paces nothing at a rate of Infinity: every call may be made now (the local account in jump time)', async () => {
    const pacer = new MemoryControlPlanePacer(Number.POSITIVE_INFINITY);
    const slots = await Promise.all(Array.from({ length: 20 }, () => pacer.reserve(scope, T0)));
    expect(new Set(slots)).toEqual(new Set([T0]));
    expect(await pacer.frontier(scope, T0)).toBe(T0);
  });

  it('still honours a back-off at a rate of Infinity: a throttled call waits for it', async () => {
    const pacer = new MemoryControlPlanePacer(Number.POSITIVE_INFINITY);
    await pacer.backOff(scope, T0 + 1_000);
    expect(await pacer.reserve(scope, T0)).toBe(T0 + 1_000);
    expect(await pacer.reserve(scope, T0 + 2_000)).toBe(T0 + 2_000);
  });

  it('FIXED_POLLING learns nothing: the first look always comes after pollSeconds', async () => {
    const place = { account: '123456789012', region: 'us-east-1' };
    await FIXED_POLLING.learn(place, 20_000, true);
    expect(await FIXED_POLLING.typical(place)).toBeUndefined();
  });
});
