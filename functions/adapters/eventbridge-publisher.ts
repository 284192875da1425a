import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventPublishError } from '../domain/errors.ts';
import type { GuardEvent } from '../domain/events.ts';
import type { EventPublisher } from '../domain/ports.ts';
import { sleep } from './sleep.ts';

/** PutEvents takes at most 10 entries and 256 KB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_ATTEMPTS = 4;

export interface PublisherOptions {
  busName: string;
  /** Attempts per entry, the first included. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** An entry's size as EventBridge counts it: Time (14 bytes) + Source + DetailType + Detail + Resources. */
function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined): number => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (
    14 + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/** Groups entries into requests within both PutEvents limits. */
export function batches(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const s = entrySize(entry);
    if (current.length === MAX_ENTRIES || (current.length > 0 && size + s > MAX_REQUEST_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += s;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Publishes compliance events to an EventBridge bus. Entries EventBridge refuses (FailedEntryCount)
 * are sent again with backoff; whatever still fails is thrown as EventPublishError, never dropped.
 *
 * IAM: events:PutEvents on the bus.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: PublisherOptions,
  ) {
    this.#attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
    this.#sleep = options.sleep ?? sleep;
  }

  async publish(events: readonly GuardEvent[]): Promise<void> {
    const entries = events.map((e) => this.toEntry(e));
    const tooLarge = entries.filter((e) => entrySize(e) > MAX_REQUEST_BYTES);
    if (tooLarge.length > 0) {
      throw new EventPublishError(
        `${tooLarge.length} event(s) exceed the 256 KB PutEvents limit`,
        tooLarge.map((e) => ({ detailType: e.DetailType ?? '', errorCode: 'EntryTooLarge' })),
      );
    }
    let pending = entries;
    let failures: { entry: PutEventsRequestEntry; errorCode?: string; errorMessage?: string }[] = [];
    for (let attempt = 1; attempt <= this.#attempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await this.#sleep(100 * 2 ** (attempt - 2));
      failures = [];
      for (const batch of batches(pending)) failures.push(...(await this.send(batch)));
      pending = failures.map((f) => f.entry);
    }
    if (failures.length > 0) {
      throw new EventPublishError(
        `${failures.length} of ${entries.length} event(s) were not accepted by EventBridge after ${this.#attempts} attempts`,
        failures.map((f) => ({
          detailType: f.entry.DetailType ?? '',
          ...(f.errorCode ? { errorCode: f.errorCode } : {}),
          ...(f.errorMessage ? { errorMessage: f.errorMessage } : {}),
        })),
        entries.filter((e) => !failures.some((f) => f.entry === e)).map((e) => e.DetailType ?? ''),
      );
    }
  }

  private toEntry(event: GuardEvent): PutEventsRequestEntry {
    const arn = 'stream' in event.detail ? (event.detail.stream as { arn?: string }).arn : undefined;
    return {
      EventBusName: this.options.busName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.time),
      ...(arn ? { Resources: [arn] } : {}),
    };
  }

  /** One PutEvents request; returns the entries it refused. A failed request refuses them all. */
  private async send(
    batch: PutEventsRequestEntry[],
  ): Promise<{ entry: PutEventsRequestEntry; errorCode?: string; errorMessage?: string }[]> {
    try {
      const output = await this.client.send(new PutEventsCommand({ Entries: batch }));
      if (!output.FailedEntryCount) return [];
      return batch.flatMap((entry, i) => {
        const result = output.Entries?.[i];
        return result?.ErrorCode
          ? [{ entry, errorCode: result.ErrorCode, ...(result.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}) }]
          : [];
      });
    } catch (error) {
      const e = error as { name?: string; message?: string };
      return batch.map((entry) => ({ entry, errorCode: e.name ?? 'RequestFailed', ...(e.message ? { errorMessage: e.message } : {}) }));
    }
  }
}
