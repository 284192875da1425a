import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { StateTable } from '../functions/adapters/dynamo/state-table.ts';

/** Creates the state table exactly as infra/resources/state-table.json declares it (keys and billing). */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const resource = JSON.parse(readFileSync(new URL('../infra/resources/state-table.json', import.meta.url), 'utf8')) as {
    Properties: Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'BillingMode'>;
  };
  const { AttributeDefinitions, KeySchema, BillingMode } = resource.Properties;
  await client.send(new CreateTableCommand({ TableName: tableName, AttributeDefinitions, KeySchema, BillingMode }));
}

/** dynalite in process on a free loopback port. */
export async function startDynalite(listenPort = 0): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface InProcessStateTable {
  table: StateTable;
  /** The low-level client (for metering its calls). */
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

/** A state table on dynalite in process: the local account's, and the CLI's throwaway ledger. */
export async function startStateTable(tableName: string, port = 0): Promise<InProcessStateTable> {
  const db = await startDynalite(port);
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createStateTable(client, tableName);
  return {
    table: { documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), tableName },
    client,
    endpoint: db.endpoint,
    close: async () => {
      client.destroy();
      await db.close();
    },
  };
}
