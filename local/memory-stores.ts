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
} from '../functions/domain/budget.ts';
import { InvalidInputError, LeaseHeldError } from '../functions/domain/errors.ts';
import type {
  BudgetLedger,
  KeyFailure,
  KeyFailureStore,
  Lease,
  LeaseStore,
  LeaseView,
  StreamState,
  StreamStateStore,
} from '../functions/domain/ports.ts';
import { streamKey, streamRef, type StreamRef } from '../functions/domain/stream-ref.ts';

/** DynamoDB's limit on one item, names and values together. */
const MAX_ITEM_BYTES = 400 * 1024;

/** What the state table holds per stream, one item per concern (the DynamoDB adapters' sort keys). */
interface StreamItems {
  LEDGER: { calls: LedgerCall[] };
  STATE: StreamState;
  LEASE: { owner: string; takenAt: number; leaseExpiresAt: number; generation: number };
  KEYS: { failures: Record<string, KeyFailure> };
}
type Concern = keyof StreamItems;

/**
 * The state table in memory, for tests and tools that need the stores without a DynamoDB endpoint.
 * Items are kept as the document client would store them: deep copies, undefined values dropped, and
 * what DynamoDB refuses (a number it cannot hold, an item over 400 KB) refused. Each store method
 * reads, decides and writes without yielding, so the conditional writes of the DynamoDB adapters are
 * plain assignments here and concurrent callers never interleave. TTL deletions are not emulated: an
 * expired item stays, as it may for days in DynamoDB.
 */
export class MemoryStateTable {
  readonly #items = new Map<string, unknown>();

  read<K extends Concern>(ref: StreamRef, concern: K): StreamItems[K] | undefined {
    const item = this.#items.get(mapKey(itemKey(ref, concern)));
    return item === undefined ? undefined : (storable(item, concern) as StreamItems[K]);
  }

  write<K extends Concern>(ref: StreamRef, concern: K, item: StreamItems[K]): void {
    const key = itemKey(ref, concern);
    const stored = storable(item, concern);
    const bytes = attributeBytes({ ...key, ...(stored as object) });
    if (bytes > MAX_ITEM_BYTES) {
      throw new InvalidInputError(
        `Item size has exceeded the maximum allowed size: the ${concern} item of ${key.pk} would take ${bytes} bytes`,
      );
    }
    this.#items.set(mapKey(key), stored);
  }

  delete(ref: StreamRef, concern: Concern): void {
    this.#items.delete(mapKey(itemKey(ref, concern)));
  }
}

/** The item's DynamoDB key; an invalid account, region or stream name is refused, as the DynamoDB adapters refuse it. */
function itemKey(ref: StreamRef, concern: Concern): { pk: string; sk: Concern } {
  return { pk: `STREAM#${streamKey(streamRef(ref.account, ref.region, ref.name))}`, sk: concern };
}

const mapKey = ({ pk, sk }: { pk: string; sk: Concern }): string => `${pk}|${sk}`;

/**
 * A deep copy as the document client marshals it (`removeUndefinedValues`), refusing what it refuses:
 * NaN, infinities and integers beyond 2^53, and anything that is not a string, number, boolean, null,
 * array or plain object.
 */
function storable(value: unknown, path: string): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      throw new InvalidInputError(`${path}: DynamoDB cannot hold the number ${String(value)}`);
    }
    return value;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map((v: unknown, i) => storable(v, `${path}[${i}]`));
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, storable(v, `${path}.${k}`)]),
    );
  }
  const kind = typeof value === 'object' ? Object.prototype.toString.call(value) : typeof value;
  throw new InvalidInputError(`${path}: DynamoDB cannot hold ${kind}`);
}

/**
 * An item's size as DynamoDB counts it (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * UTF-8 lengths of names and strings, about one byte per two significant digits of a number, and three
 * bytes plus one per element for a list or map. Close enough to refuse what DynamoDB refuses.
 */
function attributeBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + attributeBytes(v), 0);
  if (value !== null && typeof value === 'object') {
    return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k, 'utf8') + attributeBytes(v), 0);
  }
  return 1;
}

/**
 * The budget ledger in memory, applying the domain's rules (reserveCall, recordCall, …) to one list of
 * calls per stream, as DynamoBudgetLedger does to its LEDGER item.
 */
export class MemoryBudgetLedger implements BudgetLedger {
  constructor(private readonly table: MemoryStateTable) {}

  async status(ref: StreamRef, now: number, share: number): Promise<BudgetStatus> {
    return budgetStatus(this.read(ref), now, share);
  }

  async calls(ref: StreamRef, now: number): Promise<LedgerCall[]> {
    return callsInWindow(this.read(ref), now).sort((a, b) => a.at - b.at);
  }

  async reserve(ref: StreamRef, call: LedgerCall, share: number): Promise<BudgetStatus> {
    checkLedgerCall(call);
    const current = this.read(ref);
    const next = reserveCall(current, call, share); // throws BudgetExhaustedError
    // An id the ledger holds is never written again, even one gone from the window (as in DynamoDB).
    if (!current.some((c) => c.id === call.id)) this.table.write(ref, 'LEDGER', { calls: next });
    return budgetStatus(next, call.at, share);
  }

  async record(ref: StreamRef, call: LedgerCall, now: number): Promise<{ recorded: boolean }> {
    checkLedgerCall(call);
    const next = recordCall(this.read(ref), call, now);
    // Written even when not recorded: the echo of our unconfirmed call confirms the reservation.
    this.table.write(ref, 'LEDGER', { calls: next.calls });
    return { recorded: next.recorded };
  }

  async confirm(ref: StreamRef, id: string, requestId: string, now: number): Promise<void> {
    this.table.write(ref, 'LEDGER', { calls: confirmCall(this.read(ref), id, requestId, now) });
  }

  async release(ref: StreamRef, id: string, now: number): Promise<void> {
    this.table.write(ref, 'LEDGER', { calls: releaseCall(this.read(ref), id, now) });
  }

  async markUnknown(ref: StreamRef, id: string, until: number, now: number): Promise<void> {
    this.table.write(ref, 'LEDGER', { calls: markCallUnknown(this.read(ref), id, until, now) });
  }

  private read(ref: StreamRef): LedgerCall[] {
    return this.table.read(ref, 'LEDGER')?.calls ?? [];
  }
}

/** The per-stream lease in memory, with DynamoLeaseStore's rules for taking, renewing, noting and giving back. */
export class MemoryLeaseStore implements LeaseStore {
  constructor(private readonly table: MemoryStateTable) {}

  async acquire(ref: StreamRef, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const item = this.table.read(ref, 'LEASE');
    const expiresAt = now + ttlMs;
    if (item === undefined || item.leaseExpiresAt <= now) {
      this.table.write(ref, 'LEASE', { owner, takenAt: now, leaseExpiresAt: expiresAt, generation: 0 });
    } else if (item.owner === owner) {
      // A renewal keeps the generation; takenAt moves, as the intake renewing it is about to start its execution.
      this.table.write(ref, 'LEASE', { ...item, takenAt: now, leaseExpiresAt: expiresAt });
    } else {
      throw new LeaseHeldError(
        `${streamKey(ref)} is leased to ${item.owner} until ${new Date(item.leaseExpiresAt).toISOString()}`,
        item.owner,
        item.leaseExpiresAt,
        item.takenAt,
      );
    }
    return { owner, expiresAt };
  }

  async takeOver(ref: StreamRef, from: string, to: string, now: number, ttlMs: number): Promise<boolean> {
    if (this.table.read(ref, 'LEASE')?.owner !== from) return false;
    this.table.write(ref, 'LEASE', { owner: to, takenAt: now, leaseExpiresAt: now + ttlMs, generation: 0 });
    return true;
  }

  async noteTrigger(ref: StreamRef, now: number): Promise<{ holder: string; generation: number } | undefined> {
    const item = this.table.read(ref, 'LEASE');
    if (item === undefined || item.leaseExpiresAt <= now) return undefined;
    const generation = item.generation + 1;
    this.table.write(ref, 'LEASE', { ...item, generation });
    return { holder: item.owner, generation };
  }

  async observe(ref: StreamRef, owner: string, now: number): Promise<LeaseView> {
    const item = this.table.read(ref, 'LEASE');
    const held = item?.owner === owner && item.leaseExpiresAt > now;
    return { held, generation: held ? item.generation : 0 };
  }

  async release(
    ref: StreamRef,
    owner: string,
    seenGeneration?: number,
  ): Promise<{ released: boolean; reason?: 'new-trigger' | 'not-held' }> {
    const item = this.table.read(ref, 'LEASE');
    if (item?.owner !== owner) return { released: false, reason: 'not-held' };
    if (seenGeneration !== undefined && item.generation !== seenGeneration) return { released: false, reason: 'new-trigger' };
    this.table.delete(ref, 'LEASE');
    return { released: true };
  }
}

/** What the remediator last concluded per stream. Forgetting a stream keeps its ledger: calls still count for 24 hours. */
export class MemoryStreamStateStore implements StreamStateStore {
  constructor(private readonly table: MemoryStateTable) {}

  async get(ref: StreamRef): Promise<StreamState | undefined> {
    return this.table.read(ref, 'STATE');
  }

  async put(ref: StreamRef, state: StreamState): Promise<void> {
    this.table.write(ref, 'STATE', state);
  }

  async forget(ref: StreamRef): Promise<void> {
    for (const concern of ['STATE', 'LEASE', 'KEYS'] as const) this.table.delete(ref, concern);
  }
}

/** Keys that failed for a stream, keyed by key ('AWS_OWNED_CMK' or its ARN). */
export class MemoryKeyFailureStore implements KeyFailureStore {
  constructor(private readonly table: MemoryStateTable) {}

  async list(ref: StreamRef): Promise<KeyFailure[]> {
    return Object.values(this.read(ref));
  }

  async remember(ref: StreamRef, failure: KeyFailure): Promise<void> {
    this.table.write(ref, 'KEYS', { failures: { ...this.read(ref), [failure.key]: failure } });
  }

  async forget(ref: StreamRef, key?: string): Promise<void> {
    if (key === undefined) return this.table.write(ref, 'KEYS', { failures: {} });
    const { [key]: _gone, ...rest } = this.read(ref);
    this.table.write(ref, 'KEYS', { failures: rest });
  }

  private read(ref: StreamRef): Record<string, KeyFailure> {
    return this.table.read(ref, 'KEYS')?.failures ?? {};
  }
}

export interface MemoryStores {
  readonly ledger: MemoryBudgetLedger;
  readonly leases: MemoryLeaseStore;
  readonly states: MemoryStreamStateStore;
  readonly keyFailures: MemoryKeyFailureStore;
}

/**
 * Every store port over one in-memory table, so that forgetting a stream's state drops its lease and
 * key failures but keeps its ledger, as in DynamoDB.
 *
 * @example
 * const { ledger, leases, states } = memoryStores();
 * await takeIn(event, { ledger, leases, states, starter, publisher, clock, policy, remediatorRoleArns, leaseSeconds });
 */
export function memoryStores(table = new MemoryStateTable()): MemoryStores {
  return {
    ledger: new MemoryBudgetLedger(table),
    leases: new MemoryLeaseStore(table),
    states: new MemoryStreamStateStore(table),
    keyFailures: new MemoryKeyFailureStore(table),
  };
}
