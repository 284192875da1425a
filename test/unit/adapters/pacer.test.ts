import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoControlPlanePacer, paceKey } from '../../../functions/adapters/dynamo/pacer.ts';
import type { StateTable } from '../../../functions/adapters/dynamo/state-table.ts';
import { LedgerContentionError } from '../../../functions/domain/errors.ts';
import { createStateTable, startDynalite } from '../../support/dynamo.ts';
import { describePacer } from '../../support/pacer-suite.ts';

const T0 = Date.UTC(2026, 10, 1);
const DAY_S = 86_400;

describePacer('DynamoDB, dynalite (in process)', async () => {
  const dynalite = await startDynalite();
  const table = await createStateTable(dynalite.endpoint, 'firehose-sse-guard-state');
  return { pacer: (rate) => new DynamoControlPlanePacer(table, rate), close: dynalite.close };
});

describe('DynamoControlPlanePacer, beyond the shared suite', () => {
  let table: StateTable;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dynalite = await startDynalite();
    table = await createStateTable(dynalite.endpoint, 'firehose-sse-guard-state');
    close = dynalite.close;
  });
  afterAll(() => close());

  const item = async (account: string, sk: string) =>
    (await table.documents.send(new GetCommand({ TableName: table.tableName, Key: paceKey({ account, region: 'us-east-1' }, sk) }))).Item;

  it('keeps one PACE# item per operation, which expires a day after the latest reservation or back-off', async () => {
    const pacer = new DynamoControlPlanePacer(table, 4.75);
    const scope = { account: 'expiry', region: 'us-east-1', operation: 'DescribeDeliveryStream' } as const;

    await pacer.reserve(scope, T0);
    expect(await item('expiry', 'DescribeDeliveryStream')).toEqual({
      pk: 'PACE#expiry/us-east-1',
      sk: 'DescribeDeliveryStream',
      next: T0 + 211,
      expiresAt: T0 / 1000 + DAY_S,
    });
    await pacer.reserve(scope, T0 + 1_000);
    expect(await item('expiry', 'DescribeDeliveryStream')).toMatchObject({ next: T0 + 1_211, expiresAt: (T0 + 1_000) / 1000 + DAY_S });
    await pacer.backOff(scope, T0 + 30_000);
    expect(await item('expiry', 'DescribeDeliveryStream')).toMatchObject({ next: T0 + 30_000, expiresAt: (T0 + 30_000) / 1000 + DAY_S });
  });

  it('stores the ENABLING estimate on its own item of the partition', async () => {
    const pacer = new DynamoControlPlanePacer(table, 4.75);
    await pacer.learn({ account: 'estimate', region: 'us-east-1' }, 10_000, false);
    expect(await item('estimate', 'ENABLING')).toMatchObject({ pk: 'PACE#estimate/us-east-1', sk: 'ENABLING', typicalMs: 12_500 });
  });

  it('gives up with LedgerContentionError when every conditional update keeps losing, and says so', async () => {
    // A frontier that moves under every attempt: each update's condition fails as a racing writer would make it.
    let updates = 0;
    const failing = {
      ...table,
      documents: {
        send: async () => {
          updates += 1;
          throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
        },
      },
    } as unknown as StateTable;
    const pacer = new DynamoControlPlanePacer(failing, 4.75);

    const refusal = await pacer
      .reserve({ account: 'race', region: 'us-east-1', operation: 'DescribeDeliveryStream' }, T0)
      .catch((e: unknown) => e);

    expect(refusal).toBeInstanceOf(LedgerContentionError);
    expect((refusal as Error).message).toMatch(/DescribeDeliveryStream.*conflicting concurrent reservations/);
    expect(updates).toBeGreaterThan(2);
    expect(updates, 'a bounded number of tries').toBeLessThanOrEqual(32);
  });

  it('passes any other DynamoDB error on, unchanged', async () => {
    const boom = Object.assign(new Error('throughput'), { name: 'ProvisionedThroughputExceededException' });
    const failing = { ...table, documents: { send: async () => Promise.reject(boom) } } as unknown as StateTable;
    const pacer = new DynamoControlPlanePacer(failing, 4.75);
    const scope = { account: 'x', region: 'us-east-1', operation: 'DescribeDeliveryStream' } as const;

    await expect(pacer.reserve(scope, T0)).rejects.toBe(boom);
    await expect(pacer.backOff(scope, T0)).rejects.toBe(boom);
  });
});
