import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSweepResults } from '../../../functions/adapters/dynamo/sweep-results.ts';
import { createStateTable, startDynalite } from '../../support/dynamo.ts';

const NOW = Date.parse('2026-11-30T06:00:00Z');
const totals = { streams: 3, COMPLIANT: 2, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 1 };

describe("DynamoSweepResults: a sweep's results in the state table (dynalite)", () => {
  let results: DynamoSweepResults;
  let stop: () => Promise<void>;
  let queries = 0;
  beforeAll(async () => {
    const dynalite = await startDynalite();
    stop = dynalite.close;
    const table = await createStateTable(dynalite.endpoint, 'sweep-results');
    const send = table.documents.send.bind(table.documents) as (command: unknown) => Promise<unknown>;
    (table.documents as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command) => {
      if (command instanceof QueryCommand) queries += 1;
      return send(command);
    };
    results = new DynamoSweepResults(table, 100);
  });
  afterAll(() => stop());

  it('keeps one item per account and region: a retried write replaces it, other sweeps are apart', async () => {
    await results.record('s-1', { account: '123456789012', region: 'eu-west-1', totals, workflowsStarted: 1 }, NOW);
    await results.record('s-1', { account: '123456789012', region: 'eu-west-1', totals, workflowsStarted: 1 }, NOW);
    await results.record('s-1', { account: '210987654321', error: 'InvalidRequestError: AccessDenied' }, NOW);
    await results.record('s-2', { account: '123456789012', region: 'eu-west-1', totals, workflowsStarted: 0 }, NOW);
    expect(await results.list('s-1')).toEqual([
      { account: '123456789012', region: 'eu-west-1', totals, workflowsStarted: 1 },
      { account: '210987654321', error: 'InvalidRequestError: AccessDenied' },
    ]);
    expect(await results.list('s-3')).toEqual([]);
  });

  it('reads every page back (pages of 100 items here)', async () => {
    const many = Array.from({ length: 1_000 }, (_, i) => ({ account: String(100000000000 + i), region: 'us-east-1', totals }));
    for (let i = 0; i < many.length; i += 100) await Promise.all(many.slice(i, i + 100).map((s) => results.record('big', s, NOW)));
    queries = 0;
    expect(await results.list('big')).toHaveLength(1_000);
    expect(queries).toBe(11);
  }, 60_000);
});
