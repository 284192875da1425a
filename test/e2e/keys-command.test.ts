import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoKeyFailureStore } from '../../functions/adapters/dynamo/key-failure-store.ts';
import type { StateTable } from '../../functions/adapters/dynamo/state-table.ts';
import { UsageError } from '../../cli/args.ts';
import { main } from '../../cli/main.ts';
import { createStateTable, startDynalite } from '../support/dynamo.ts';

const ref = { account: '123456789012', region: 'us-east-1', name: 'orders' };
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';

describe('firehose-sse-guard keys: the keys remembered as failed for a stream ("never pay twice"), and clearing them', () => {
  let db: { endpoint: string; close(): Promise<void> };
  let table: StateTable;
  beforeAll(async () => {
    db = await startDynalite();
    table = await createStateTable(db.endpoint, 'state');
  });
  afterAll(() => db.close());

  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await main(['keys', '--table', 'state', '--dynamodb-endpoint-url', db.endpoint, ...argv], (l) => lines.push(l));
    return { code, lines };
  };

  it('lists a remembered failure, clears it, and refuses what it cannot do with a usage error', async () => {
    const store = new DynamoKeyFailureStore(table);
    await store.remember(ref, {
      key: KEY,
      failureType: 'KMS_ACCESS_DENIED',
      details: 'grant denied',
      at: Date.UTC(2026, 10, 1),
      keyState: 'usable',
    });
    const listed = await run('--stream', '123456789012/us-east-1/orders');
    expect(listed.lines).toEqual([`${KEY}  KMS_ACCESS_DENIED  since 2026-11-01T00:00:00.000Z  key state then: usable  grant denied`]);
    await expect(run('--stream', '123456789012/us-east-1/orders', '--clear', 'AWS_OWNED_CMK')).rejects.toThrow(UsageError);
    expect((await run('--stream', '123456789012/us-east-1/orders', '--clear', KEY)).lines).toEqual([
      `cleared ${KEY} for 123456789012/us-east-1/orders`,
    ]);
    expect(await store.list(ref)).toEqual([]);
    await expect(run('--stream', 'not-a-stream')).rejects.toThrow(/^--stream: /);
    await expect(run()).rejects.toThrow('keys needs --stream ACCOUNT/REGION/NAME');
  });
});
