import type { GuardEvent } from '../functions/domain/events.ts';
import type { EventPublisher } from '../functions/domain/ports.ts';

/** The local account's compliance-event bus: keeps every event and tells subscribers. */
export class EventSink implements EventPublisher {
  readonly events: GuardEvent[] = [];
  readonly #subscribers = new Set<(event: GuardEvent) => void>();

  /** `onPublish` is told of each publish request (the local stand-in for one PutEvents call). */
  constructor(private readonly onPublish: (events: readonly GuardEvent[]) => void = () => {}) {}

  async publish(events: readonly GuardEvent[]): Promise<void> {
    this.onPublish(events);
    for (const event of events) {
      this.events.push(event);
      for (const subscriber of this.#subscribers) subscriber(event);
    }
  }

  subscribe(subscriber: (event: GuardEvent) => void): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  ofKind(kind: GuardEvent['detail']['kind']): GuardEvent[] {
    return this.events.filter((e) => e.detail.kind === kind);
  }
}
