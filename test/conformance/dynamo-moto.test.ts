import { createStateTable } from '../support/dynamo.ts';
import { describeDynamoStores } from '../support/dynamo-store-suite.ts';
import { startMoto } from '../support/moto.ts';

/** The second opinion: the same DynamoDB store tests that run on dynalite, against moto_server. */
describeDynamoStores('moto_server', async () => {
  const moto = await startMoto();
  const table = await createStateTable(moto.endpoint, 'firehose-sse-guard-state');
  return { table, close: moto.close };
});
