import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  budgetStatus,
  callsInWindow,
  checkLedgerCall,
  confirmCall,
  markCallUnknown,
  recordCall,
  releaseCall,
  reserveCall,
  type BudgetStatus,
  type LedgerCall,
} from '../../domain/budget.ts';
import { ENCRYPTION_CALL_WINDOW_MS } from '../../domain/firehose-facts.ts';
import type { BudgetLedger } from '../../domain/ports.ts';
import { streamKey, type StreamRef } from '../../domain/stream-ref.ts';
import { isConditionFailure, itemKey, toEpochSeconds, withOptimisticRetry, type StateTable } from './state-table.ts';

interface LedgerItem {
  calls: LedgerCall[];
  version: number;
}

/**
 * The budget ledger in DynamoDB: one item per stream holding the calls of the last 24 hours and a
 * version number. A change reads the item, applies the domain rule (reserveCall, recordCall,
 * releaseCall) and writes it back on condition that the version did not move: concurrent reservers
 * never both take the last call.
 */
export class DynamoBudgetLedger implements BudgetLedger {
  constructor(private readonly table: StateTable) {}

  async status(ref: StreamRef, now: number, share: number): Promise<BudgetStatus> {
    return budgetStatus((await this.read(ref)).calls, now, share);
  }

  async calls(ref: StreamRef, now: number): Promise<LedgerCall[]> {
    return callsInWindow((await this.read(ref)).calls, now).sort((a, b) => a.at - b.at);
  }

  async reserve(ref: StreamRef, call: LedgerCall, share: number): Promise<BudgetStatus> {
    checkLedgerCall(call);
    itemKey(ref, 'LEDGER');
    let result: LedgerCall[] = [];
    await withOptimisticRetry(this.table, `reserve a call for ${streamKey(ref)}`, async () => {
      const current = await this.read(ref);
      result = reserveCall(current.calls, call, share); // throws BudgetExhaustedError
      if (current.calls.some((c) => c.id === call.id)) return true;
      return this.write(ref, current.version, result);
    });
    return budgetStatus(result, call.at, share);
  }

  async record(ref: StreamRef, call: LedgerCall, now: number): Promise<{ recorded: boolean }> {
    checkLedgerCall(call);
    itemKey(ref, 'LEDGER');
    let recorded = false;
    await withOptimisticRetry(this.table, `record a call for ${streamKey(ref)}`, async () => {
      const current = await this.read(ref);
      const next = recordCall(current.calls, call, now);
      recorded = next.recorded;
      // An echo that is not recorded may still confirm our call of unknown fate (it gains the request id): write that too.
      const changed = next.recorded || JSON.stringify(next.calls) !== JSON.stringify(current.calls);
      return changed ? this.write(ref, current.version, next.calls) : true;
    });
    return { recorded };
  }

  async confirm(ref: StreamRef, id: string, requestId: string, now: number): Promise<void> {
    await withOptimisticRetry(this.table, `confirm a call for ${streamKey(ref)}`, async () => {
      const current = await this.read(ref);
      const next = confirmCall(current.calls, id, requestId, now);
      const unchanged = next.length === current.calls.length && next.every((c, i) => c.requestId === current.calls[i]?.requestId);
      return unchanged ? true : this.write(ref, current.version, next);
    });
  }

  async release(ref: StreamRef, id: string, now: number): Promise<void> {
    await withOptimisticRetry(this.table, `release a call for ${streamKey(ref)}`, async () => {
      const current = await this.read(ref);
      if (!current.calls.some((c) => c.id === id)) return true;
      return this.write(ref, current.version, releaseCall(current.calls, id, now));
    });
  }

  async markUnknown(ref: StreamRef, id: string, until: number, now: number): Promise<void> {
    await withOptimisticRetry(this.table, `mark a call of unknown fate for ${streamKey(ref)}`, async () => {
      const current = await this.read(ref);
      if (!current.calls.some((c) => c.id === id && c.requestId === undefined)) return true;
      return this.write(ref, current.version, markCallUnknown(current.calls, id, until, now));
    });
  }

  private async read(ref: StreamRef): Promise<LedgerItem> {
    const { Item } = await this.table.documents.send(
      new GetCommand({ TableName: this.table.tableName, Key: itemKey(ref, 'LEDGER'), ConsistentRead: true }),
    );
    return { calls: (Item?.calls as LedgerCall[] | undefined) ?? [], version: (Item?.version as number | undefined) ?? 0 };
  }

  /** Writes the ledger if nobody else did since `version` was read; false when someone did. */
  private async write(ref: StreamRef, version: number, calls: LedgerCall[]): Promise<boolean> {
    const newest = Math.max(0, ...calls.map((c) => c.at));
    try {
      await this.table.documents.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...itemKey(ref, 'LEDGER'), calls, version: version + 1, expiresAt: toEpochSeconds(newest + ENCRYPTION_CALL_WINDOW_MS) },
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
          ...(version === 0
            ? {}
            : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
