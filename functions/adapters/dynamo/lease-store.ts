import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError } from '../../domain/errors.ts';
import type { Lease, LeaseStore } from '../../domain/ports.ts';
import { streamKey, type StreamRef } from '../../domain/stream-ref.ts';
import { isConditionFailure, itemKey, toEpochSeconds, type StateTable } from './state-table.ts';

/** A per-stream lease: one conditional put takes it when it is free, expired, or already ours. */
export class DynamoLeaseStore implements LeaseStore {
  constructor(private readonly table: StateTable) {}

  async acquire(ref: StreamRef, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const lease = { owner, expiresAt: now + ttlMs };
    try {
      await this.table.documents.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...itemKey(ref, 'LEASE'), owner, leaseExpiresAt: lease.expiresAt, expiresAt: toEpochSeconds(lease.expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAt <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return lease;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: itemKey(ref, 'LEASE'), ConsistentRead: true }));
      const holder = (Item?.owner as string | undefined) ?? 'unknown';
      const expiresAt = (Item?.leaseExpiresAt as number | undefined) ?? now;
      throw new LeaseHeldError(`${streamKey(ref)} is leased to ${holder} until ${new Date(expiresAt).toISOString()}`, holder, expiresAt);
    }
  }

  async release(ref: StreamRef, owner: string): Promise<void> {
    try {
      await this.table.documents.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: itemKey(ref, 'LEASE'),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired), or it is already gone: nothing of ours to release.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
