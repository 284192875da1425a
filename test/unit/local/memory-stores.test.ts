import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/domain/errors.ts';
import { memoryStores } from '../../../local/memory-stores.ts';
import { describeStores } from '../../support/store-suite.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const ref = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describeStores('local/memory-stores.ts (in memory)', async () => ({ ...memoryStores(), close: async () => {} }));

describe('in-memory stores, beyond the shared suite', () => {
  // Not in the shared suite yet: DynamoBudgetLedger.record writes only when the call is recorded, so
  // on DynamoDB this confirmation is dropped and the accepted call stops counting after the hour.
  it('takes the CloudTrail echo of our call of unknown fate as its confirmation, so the call keeps counting', async () => {
    const { ledger } = memoryStores();
    await ledger.reserve(ref, { id: 'mine', at: T0, by: 'remediator', operation: 'Start' }, 20);
    await ledger.markUnknown(ref, 'mine', T0 + HOUR, T0 + 1);

    const echo = { id: 'event-1', at: T0 + 2, by: 'remediator', operation: 'Start', requestId: 'req-1' } as const;
    expect(await ledger.record(ref, echo, T0 + 3)).toEqual({ recorded: false });

    expect(await ledger.calls(ref, T0 + HOUR + 1)).toEqual([
      { id: 'mine', at: T0, by: 'remediator', operation: 'Start', unconfirmedUntil: T0 + HOUR, requestId: 'req-1' },
    ]);
  });

  it('refuses what the DynamoDB document client cannot marshal, naming where it is', async () => {
    const { states } = memoryStores();
    const put = (value: unknown) => states.put(ref, { verdict: 'DEFERRED', updatedAt: T0, outbox: [value as never] });

    await expect(put(new Date(T0))).rejects.toThrow(new InvalidInputError('STATE.outbox[0]: DynamoDB cannot hold [object Date]'));
    await expect(put(2 ** 60)).rejects.toThrow(/STATE\.outbox\[0\]: DynamoDB cannot hold the number/);
    expect(await states.get(ref)).toBeUndefined();
  });
});
