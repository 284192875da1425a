import { DynamoBudgetLedger } from '../../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoKeyFailureStore } from '../../functions/adapters/dynamo/key-failure-store.ts';
import { DynamoLeaseStore } from '../../functions/adapters/dynamo/lease-store.ts';
import { DynamoControlPlanePacer } from '../../functions/adapters/dynamo/pacer.ts';
import { DynamoStreamStateStore } from '../../functions/adapters/dynamo/stream-state-store.ts';
import { createStateTable } from '../support/dynamo.ts';
import { startMoto } from '../support/moto.ts';
import { describePacer } from '../support/pacer-suite.ts';
import { describeStores } from '../support/store-suite.ts';

/** The second opinion: the same store tests that run on dynalite and in memory, on the DynamoDB adapters against moto_server. */
describeStores('DynamoDB adapters, moto_server', async () => {
  const moto = await startMoto();
  const table = await createStateTable(moto.endpoint, 'firehose-sse-guard-state');
  return {
    ledger: new DynamoBudgetLedger(table),
    leases: new DynamoLeaseStore(table),
    states: new DynamoStreamStateStore(table),
    keyFailures: new DynamoKeyFailureStore(table),
    close: moto.close,
  };
});

/**
 * And the shared pacing's frontier (conditional updates, UPDATED_OLD) on moto's reading of DynamoDB.
 * Its reservers come one at a time: moto_server does not serialise concurrent writes to one item (see
 * PacerSuiteOptions.racers); dynalite runs the 50-at-once race.
 */
describePacer(
  'DynamoDB, moto_server',
  async () => {
    const moto = await startMoto();
    const table = await createStateTable(moto.endpoint, 'firehose-sse-guard-state');
    return { pacer: (rate) => new DynamoControlPlanePacer(table, rate), close: moto.close };
  },
  { racers: 1 },
);
