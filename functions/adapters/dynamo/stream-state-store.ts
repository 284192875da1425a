import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StreamState, StreamStateStore } from '../../domain/ports.ts';
import type { StreamRef } from '../../domain/stream-ref.ts';
import { itemKey, type StateTable } from './state-table.ts';

/** What the remediator last concluded per stream. Forgetting a stream keeps its ledger: calls still count for 24 hours. */
export class DynamoStreamStateStore implements StreamStateStore {
  constructor(private readonly table: StateTable) {}

  async get(ref: StreamRef): Promise<StreamState | undefined> {
    const { Item } = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: itemKey(ref, 'STATE'), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...state } = Item;
    return state as StreamState;
  }

  async put(ref: StreamRef, state: StreamState): Promise<void> {
    await this.table.documents.send(new PutCommand({ TableName: this.table.tableName, Item: { ...itemKey(ref, 'STATE'), ...state } }));
  }

  async forget(ref: StreamRef): Promise<void> {
    for (const kind of ['STATE', 'LEASE', 'KEYS'] as const) {
      await this.table.documents.send(new DeleteCommand({ TableName: this.table.tableName, Key: itemKey(ref, kind) }));
    }
  }
}
