import { readFileSync } from 'node:fs';
import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Creates the state table exactly as infra/resources/state-table.json declares it (keys and billing). */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const resource = JSON.parse(readFileSync(new URL('../infra/resources/state-table.json', import.meta.url), 'utf8')) as {
    Properties: Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'BillingMode'>;
  };
  const { AttributeDefinitions, KeySchema, BillingMode } = resource.Properties;
  await client.send(new CreateTableCommand({ TableName: tableName, AttributeDefinitions, KeySchema, BillingMode }));
}
