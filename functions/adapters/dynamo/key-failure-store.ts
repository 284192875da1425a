import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyFailure, KeyFailureStore } from '../../domain/ports.ts';
import type { StreamRef } from '../../domain/stream-ref.ts';
import { isConditionFailure, itemKey, withOptimisticRetry, type StateTable } from './state-table.ts';

/**
 * Keys that failed for a stream, in one item (sort key KEYS): `failures` maps each key ('AWS_OWNED_CMK'
 * or its ARN) to its failure; `version` makes every change one conditional write.
 */
export class DynamoKeyFailureStore implements KeyFailureStore {
  constructor(private readonly table: StateTable) {}

  async list(ref: StreamRef): Promise<KeyFailure[]> {
    return Object.values((await this.read(ref)).failures);
  }

  async remember(ref: StreamRef, failure: KeyFailure): Promise<void> {
    await this.change(ref, 'remember a key failure', (failures) => ({ ...failures, [failure.key]: failure }));
  }

  async forget(ref: StreamRef, key?: string): Promise<void> {
    await this.change(ref, 'forget a key failure', (failures) => {
      if (key === undefined) return {};
      const { [key]: _gone, ...rest } = failures;
      return rest;
    });
  }

  private async change(
    ref: StreamRef,
    what: string,
    next: (failures: Record<string, KeyFailure>) => Record<string, KeyFailure>,
  ): Promise<void> {
    await withOptimisticRetry(this.table, what, async () => {
      const { failures, version } = await this.read(ref);
      const changed = next(failures);
      if (JSON.stringify(changed) === JSON.stringify(failures)) return true;
      try {
        await this.table.documents.send(
          new PutCommand({
            TableName: this.table.tableName,
            Item: { ...itemKey(ref, 'KEYS'), failures: changed, version: version + 1 },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    });
  }

  private async read(ref: StreamRef): Promise<{ failures: Record<string, KeyFailure>; version: number }> {
    const { Item } = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: itemKey(ref, 'KEYS'), ConsistentRead: true }),
    );
    return { failures: (Item?.failures as Record<string, KeyFailure> | undefined) ?? {}, version: Number(Item?.version ?? 0) };
  }
}
