import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError } from '../../domain/errors.ts';
import type { Lease, LeaseStore, LeaseView } from '../../domain/ports.ts';
import { streamKey, type StreamRef } from '../../domain/stream-ref.ts';
import { isConditionFailure, itemKey, toEpochSeconds, type StateTable } from './state-table.ts';

/**
 * A per-stream lease with a trigger generation, in one item (sort key LEASE): `owner`,
 * `leaseExpiresAt` (epoch ms), `generation` (triggers noted while held), `expiresAt` (TTL, seconds).
 * Every write is one conditional write: take when free, expired or ours; note a trigger only on a live
 * lease; give back only while ours and, when asked, at the generation the owner last looked under.
 */
export class DynamoLeaseStore implements LeaseStore {
  constructor(private readonly table: StateTable) {}

  async acquire(ref: StreamRef, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const lease = { owner, expiresAt: now + ttlMs };
    try {
      // A free or expired lease: taken afresh, generation 0.
      await this.table.documents.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: freshLease(ref, owner, now, lease.expiresAt),
          ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return lease;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      // Ours already (a duplicate delivery of the event that started us): renewed, its generation kept.
      await this.table.documents.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: itemKey(ref, 'LEASE'),
          // takenAt moves too: the intake renewing it is about to start its execution (no orphan yet).
          UpdateExpression: 'SET leaseExpiresAt = :until, expiresAt = :ttl, takenAt = :now',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner, ':until': lease.expiresAt, ':ttl': toEpochSeconds(lease.expiresAt), ':now': now },
        }),
      );
      return lease;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.read(ref);
      const holder = (item?.owner as string | undefined) ?? 'unknown';
      const expiresAt = (item?.leaseExpiresAt as number | undefined) ?? now;
      const takenAt = item?.takenAt === undefined ? undefined : Number(item.takenAt);
      throw new LeaseHeldError(
        `${streamKey(ref)} is leased to ${holder} until ${new Date(expiresAt).toISOString()}`,
        holder,
        expiresAt,
        takenAt,
      );
    }
  }

  async takeOver(ref: StreamRef, from: string, to: string, now: number, ttlMs: number): Promise<boolean> {
    const expiresAt = now + ttlMs;
    try {
      await this.table.documents.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: freshLease(ref, to, now, expiresAt),
          ConditionExpression: '#owner = :from',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':from': from },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async noteTrigger(ref: StreamRef, now: number): Promise<{ holder: string; generation: number } | undefined> {
    try {
      const { Attributes } = await this.table.documents.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: itemKey(ref, 'LEASE'),
          UpdateExpression: 'ADD generation :one',
          ConditionExpression: 'attribute_exists(pk) AND leaseExpiresAt > :now',
          ExpressionAttributeValues: { ':one': 1, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { holder: Attributes?.owner as string, generation: Number(Attributes?.generation ?? 0) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async observe(ref: StreamRef, owner: string, now: number): Promise<LeaseView> {
    const item = await this.read(ref);
    const held = item?.owner === owner && Number(item.leaseExpiresAt) > now;
    return { held, generation: held ? Number(item?.generation ?? 0) : 0 };
  }

  async release(
    ref: StreamRef,
    owner: string,
    seenGeneration?: number,
  ): Promise<{ released: boolean; reason?: 'new-trigger' | 'not-held' }> {
    const atGeneration = seenGeneration === undefined ? {} : { ':seen': seenGeneration };
    try {
      await this.table.documents.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: itemKey(ref, 'LEASE'),
          ConditionExpression:
            seenGeneration === undefined
              ? '#owner = :owner'
              : '#owner = :owner AND (attribute_not_exists(generation) OR generation = :seen)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner, ...atGeneration },
        }),
      );
      return { released: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.read(ref);
      // Still ours: a trigger arrived since the owner last looked. Otherwise nothing of ours to give back.
      return item?.owner === owner ? { released: false, reason: 'new-trigger' } : { released: false, reason: 'not-held' };
    }
  }

  private async read(ref: StreamRef): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: itemKey(ref, 'LEASE'), ConsistentRead: true }),
    );
    return Item;
  }
}

/** A lease taken afresh (free, expired or taken over): its owner, when, until when, generation 0. */
function freshLease(ref: StreamRef, owner: string, now: number, until: number): Record<string, unknown> {
  return { ...itemKey(ref, 'LEASE'), owner, takenAt: now, leaseExpiresAt: until, generation: 0, expiresAt: toEpochSeconds(until) };
}
