import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LedgerContentionError } from '../../domain/errors.ts';
import { streamKey, streamRef, type StreamRef } from '../../domain/stream-ref.ts';
import { sleep } from '../sleep.ts';

/**
 * One table holds everything per stream (infra/resources/state-table.json): partition key
 * `STREAM#<account>/<region>/<name>`, and one item per concern under the sort key `LEDGER`, `STATE`
 * or `LEASE`. Every write is a single-item conditional write, so that DynamoDB, moto and dynalite
 * (which has no transactions) behave alike. `expiresAt` (epoch seconds) is the TTL attribute.
 *
 * IAM: dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem on the table.
 */
export interface StateTable {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Waits between optimistic-concurrency attempts (injected so tests need not sleep). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type ItemKind = 'LEDGER' | 'STATE' | 'LEASE' | 'KEYS';

/** The item's key; an invalid account, region or stream name is refused before any DynamoDB call. */
export function itemKey(ref: StreamRef, kind: ItemKind): { pk: string; sk: ItemKind } {
  return { pk: `STREAM#${streamKey(streamRef(ref.account, ref.region, ref.name))}`, sk: kind };
}

export function stateTable(tableName: string, config: DynamoDBClientConfig = {}): StateTable {
  const client = new DynamoDBClient({ maxAttempts: 5, ...config });
  return { documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), tableName };
}

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

export const toEpochSeconds = (ms: number): number => Math.ceil(ms / 1000);

const MAX_ATTEMPTS = 16;

/**
 * Runs read-decide-write until the conditional write wins, with jittered backoff between attempts.
 * `attempt` returns true when its write landed (or nothing needed writing), false when it lost a race.
 */
export async function withOptimisticRetry(table: StateTable, what: string, attempt: () => Promise<boolean>): Promise<void> {
  const wait = table.sleep ?? sleep;
  for (let i = 0; i < MAX_ATTEMPTS; i += 1) {
    if (await attempt()) return;
    await wait(Math.random() * Math.min(200, 5 * 2 ** i));
  }
  throw new LedgerContentionError(`${what}: gave up after ${MAX_ATTEMPTS} conflicting concurrent writes`);
}
