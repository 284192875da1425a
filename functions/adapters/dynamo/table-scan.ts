import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { budgetStatus, type BudgetStatus, type LedgerCall } from '../../domain/budget.ts';
import type { StreamState } from '../../domain/ports.ts';
import type { StateTable } from './state-table.ts';

export interface StreamRecordSummary {
  /** `<account>/<region>/<name>` */
  stream: string;
  state?: StreamState;
  budget: BudgetStatus;
}

/**
 * Every stream the table knows, with its last conclusion and its budget (all pages of a Scan).
 * For the `status` and `report` commands: a table holds four items per stream at most (and a few
 * items of the shared pacing per account and region).
 *
 * IAM: dynamodb:Scan on the table (the CLI's user, not the functions).
 */
export async function scanStreams(table: StateTable, now: number, share: number): Promise<StreamRecordSummary[]> {
  const byStream = new Map<string, { state?: StreamState; calls: LedgerCall[] }>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new ScanCommand({ TableName: table.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? []) {
      // Only the streams' items: the shared pacing's PACE# items belong to no stream.
      if (!String(item.pk).startsWith('STREAM#')) continue;
      const stream = String(item.pk).replace(/^STREAM#/, '');
      const entry = byStream.get(stream) ?? { calls: [] };
      if (item.sk === 'STATE') {
        const { pk: _pk, sk: _sk, ...state } = item;
        entry.state = state as StreamState;
      }
      if (item.sk === 'LEDGER') entry.calls = (item.calls as LedgerCall[] | undefined) ?? [];
      byStream.set(stream, entry);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...byStream.entries()]
    .map(([stream, e]) => ({ stream, ...(e.state ? { state: e.state } : {}), budget: budgetStatus(e.calls, now, share) }))
    .sort((a, b) => a.stream.localeCompare(b.stream));
}
