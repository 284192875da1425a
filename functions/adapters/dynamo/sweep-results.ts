import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepResults, TargetSummary } from '../../domain/ports.ts';
import { toEpochSeconds, type StateTable } from './state-table.ts';

/** Results are kept a week: long enough to read a sweep's back, short enough never to pile up. */
const KEEP_MS = 7 * 24 * 3_600_000;

/**
 * A sweep's results in the state table: partition key `SWEEP#<sweepId>`, one item per account and
 * region (sort key `<account>/<region>`, or `<account>` when the account itself failed). A retried
 * write replaces the same item; the roll-up reads them all with one paged Query.
 *
 * IAM: dynamodb:PutItem, dynamodb:Query on the table (dynamodb:LeadingKeys SWEEP#*).
 */
export class DynamoSweepResults implements SweepResults {
  constructor(
    private readonly table: StateTable,
    /** Items per Query page (default: DynamoDB's 1 MB pages; smaller ones let tests exercise paging). */
    private readonly pageSize?: number,
  ) {}

  async record(sweepId: string, summary: TargetSummary, now: number): Promise<void> {
    await this.table.documents.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          pk: `SWEEP#${sweepId}`,
          sk: summary.region ? `${summary.account}/${summary.region}` : summary.account,
          summary,
          expiresAt: toEpochSeconds(now + KEEP_MS),
        },
      }),
    );
  }

  async list(sweepId: string): Promise<TargetSummary[]> {
    const out: TargetSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.table.documents.send(
        new QueryCommand({
          TableName: this.table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `SWEEP#${sweepId}` },
          ConsistentRead: true,
          ...(this.pageSize ? { Limit: this.pageSize } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(item.summary as TargetSummary);
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
