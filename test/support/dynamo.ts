import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { stateTable, type StateTable } from '../../functions/adapters/dynamo/state-table.ts';
import { createStateTable as createTable, startDynalite } from '../../local/state-table.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCAL', secretAccessKey: 'local' };

export { startDynalite };

/** Creates the state table exactly as infra/resources/state-table.json declares it. */
export async function createStateTable(endpoint: string, tableName: string): Promise<StateTable> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await createTable(client, tableName);
  client.destroy();
  return { ...stateTable(tableName, { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }), sleep: async () => {} };
}

/** A free loopback port, for servers started as child processes. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
