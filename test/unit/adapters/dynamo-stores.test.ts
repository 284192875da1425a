import { createStateTable, startDynalite } from '../../support/dynamo.ts';
import { describeDynamoStores } from '../../support/dynamo-store-suite.ts';

describeDynamoStores('dynalite (in process)', async () => {
  const dynalite = await startDynalite();
  const table = await createStateTable(dynalite.endpoint, 'firehose-sse-guard-state');
  return { table, close: dynalite.close };
});
