import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import { memoryStores } from '../../../local/memory-stores.ts';
import { describeStores } from '../../support/store-suite.ts';

const T0 = Date.UTC(2026, 10, 1);
const ref = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describeStores('local/memory-stores.ts (in memory)', async () => ({ ...memoryStores(), close: async () => {} }));

describe('in-memory stores, beyond the shared suite', () => {
  it('refuses what the DynamoDB document client cannot marshal, naming where it is', async () => {
    const { states } = memoryStores();
    const put = (value: unknown) => states.put(ref, { verdict: 'DEFERRED', updatedAt: T0, outbox: [value as never] });

    await expect(put(new Date(T0))).rejects.toThrow(new InvalidInputError('STATE.outbox[0]: DynamoDB cannot hold [object Date]'));
    await expect(put(2 ** 60)).rejects.toThrow(/STATE\.outbox\[0\]: DynamoDB cannot hold the number/);
    expect(await states.get(ref)).toBeUndefined();
  });
});
