import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerContentionError } from '../../domain/errors.ts';
import type { ControlPlanePacer, EnablingEstimates, PaceScope } from '../../domain/ports.ts';
import { FRONTIER_HORIZON_MS, nextEstimate } from '../../domain/pacing.ts';
import { isConditionFailure, toEpochSeconds, type StateTable } from './state-table.ts';

const DAY_MS = 86_400_000;
const MAX_ATTEMPTS = 16;

/** The pacing items' key: one partition per account and region, one item per operation (and one for the ENABLING estimate). */
export function paceKey(scope: { account: string; region: string }, item: string): { pk: string; sk: string } {
  return { pk: `PACE#${scope.account}/${scope.region}`, sk: item };
}

/**
 * The shared pacing on the state table. The frontier `next` (epoch ms) moves by single-item atomic
 * updates, so that any number of Lambdas reserve distinct slots without reading first:
 * - while the frontier is ahead of now, `next = next + interval` (condition `next >= now`), and the
 *   slot is the old value;
 * - otherwise the frontier restarts from now (condition: missing or behind now), and the slot is now.
 * A lost race only means the other branch applies; both are retried a bounded number of times. A
 * frontier more than FRONTIER_HORIZON_MS ahead was set by a caller whose clock ran fast: it restarts.
 *
 * IAM: dynamodb:GetItem and dynamodb:UpdateItem on the table, for the leading keys `PACE#*` only.
 */
export class DynamoControlPlanePacer implements ControlPlanePacer, EnablingEstimates {
  readonly #intervalMs: number;

  constructor(
    private readonly table: StateTable,
    readonly callsPerSecond: number,
  ) {
    if (!(callsPerSecond > 0)) throw new RangeError(`a pacer needs a positive rate, got ${callsPerSecond}`);
    // Whole milliseconds (rounded up, so never faster than the rate): slots are exact epoch ms, as a Wait timestamp is.
    this.#intervalMs = Math.ceil(1000 / callsPerSecond);
  }

  async reserve(scope: PaceScope, now: number): Promise<number> {
    const Key = paceKey(scope, scope.operation);
    const expiresAt = toEpochSeconds(now + DAY_MS);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      try {
        const moved = await this.table.documents.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key,
            UpdateExpression: 'SET #next = #next + :interval, expiresAt = :expiresAt',
            ConditionExpression: '#next BETWEEN :now AND :horizon',
            ExpressionAttributeNames: { '#next': 'next' },
            ExpressionAttributeValues: {
              ':interval': this.#intervalMs,
              ':now': now,
              ':horizon': now + FRONTIER_HORIZON_MS,
              ':expiresAt': expiresAt,
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return (moved.Attributes as { next: number }).next;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      try {
        await this.table.documents.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key,
            UpdateExpression: 'SET #next = :after, expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(#next) OR #next < :now OR #next > :horizon',
            ExpressionAttributeNames: { '#next': 'next' },
            ExpressionAttributeValues: {
              ':after': now + this.#intervalMs,
              ':now': now,
              ':horizon': now + FRONTIER_HORIZON_MS,
              ':expiresAt': expiresAt,
            },
          }),
        );
        return now;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new LedgerContentionError(`pacing ${scope.operation}: gave up after ${MAX_ATTEMPTS} conflicting concurrent reservations`);
  }

  async frontier(scope: PaceScope, now: number): Promise<number> {
    const item = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: paceKey(scope, scope.operation), ConsistentRead: true }),
    );
    const next = (item.Item as { next?: number } | undefined)?.next ?? now;
    return next > now + FRONTIER_HORIZON_MS ? now : Math.max(now, next);
  }

  async backOff(scope: PaceScope, until: number): Promise<void> {
    try {
      await this.table.documents.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: paceKey(scope, scope.operation),
          UpdateExpression: 'SET #next = :until, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#next) OR #next < :until OR #next > :horizon',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: {
            ':until': until,
            ':horizon': until + FRONTIER_HORIZON_MS,
            ':expiresAt': toEpochSeconds(until + DAY_MS),
          },
        }),
      );
    } catch (error) {
      // The frontier is already past `until`: nothing to do.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async typical(scope: { account: string; region: string }): Promise<number | undefined> {
    const item = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: paceKey(scope, 'ENABLING') }));
    return (item.Item as { typicalMs?: number } | undefined)?.typicalMs;
  }

  async learn(scope: { account: string; region: string }, waitedMs: number, enabledByThen: boolean): Promise<void> {
    // Last writer wins: concurrent lessons are close to each other, and the estimate only steers the first poll.
    await this.table.documents.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: paceKey(scope, 'ENABLING'),
        UpdateExpression: 'SET typicalMs = :typical',
        ExpressionAttributeValues: { ':typical': nextEstimate(waitedMs, enabledByThen) },
      }),
    );
  }
}
