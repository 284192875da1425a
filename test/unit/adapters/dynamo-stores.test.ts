import { DynamoBudgetLedger } from '../../../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoKeyFailureStore } from '../../../functions/adapters/dynamo/key-failure-store.ts';
import { DynamoLeaseStore } from '../../../functions/adapters/dynamo/lease-store.ts';
import { DynamoStreamStateStore } from '../../../functions/adapters/dynamo/stream-state-store.ts';
import { createStateTable, startDynalite } from '../../support/dynamo.ts';
import { describeStores } from '../../support/store-suite.ts';

describeStores('DynamoDB adapters, dynalite (in process)', async () => {
  const dynalite = await startDynalite();
  const table = await createStateTable(dynalite.endpoint, 'firehose-sse-guard-state');
  return {
    ledger: new DynamoBudgetLedger(table),
    leases: new DynamoLeaseStore(table),
    states: new DynamoStreamStateStore(table),
    keyFailures: new DynamoKeyFailureStore(table),
    close: dynalite.close,
  };
});
