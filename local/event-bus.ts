import { readFileSync } from 'node:fs';
import { TRIGGER_RULES } from '../functions/domain/intake/triggers.ts';
import { matchesPattern, validatePattern, type EventPattern } from './event-pattern.ts';

export type BusTarget = (event: unknown) => Promise<unknown>;

interface Rule {
  name: string;
  pattern: EventPattern;
  target: BusTarget;
}

export interface FailedDelivery {
  rule: string;
  event: unknown;
  error: string;
}

/** EventBridge retries an asynchronous Lambda target; after that the event goes to the dead letters. */
const DELIVERY_ATTEMPTS = 3;

/**
 * The local default event bus: rules with EventBridge patterns (the infra/event-patterns/ files) and
 * targets. Delivery is asynchronous, as EventBridge's is; `drain()` waits for what is in flight.
 */
export class LocalEventBus {
  readonly #rules: Rule[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly failed: FailedDelivery[] = [];
  delivered = 0;
  /** Counts each delivery as busy on the local time (virtual time). */
  track: (work: () => Promise<void>) => Promise<void> = (work) => work();

  addRule(name: string, pattern: unknown, target: BusTarget): void {
    validatePattern(pattern);
    this.#rules.push({ name, pattern, target });
  }

  /** Routes the trigger rules of the remediator (functions/domain/intake/triggers.ts) to one target. */
  addTriggerRules(target: BusTarget): void {
    for (const [name, rule] of Object.entries(TRIGGER_RULES)) {
      const pattern: unknown = JSON.parse(readFileSync(new URL(`../infra/event-patterns/${rule.pattern}`, import.meta.url), 'utf8'));
      this.addRule(name, pattern, target);
    }
  }

  /** The rules an event matches, by name. */
  route(event: unknown): string[] {
    return this.#rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.name);
  }

  /** Puts an event on the bus; its deliveries run in the background. */
  put(event: unknown): void {
    for (const rule of this.#rules.filter((r) => matchesPattern(r.pattern, event))) {
      const delivery = this.track(() => this.deliver(rule, event)).finally(() => this.#pending.delete(delivery));
      this.#pending.add(delivery);
    }
  }

  /** Waits until no delivery is in flight (including deliveries started meanwhile). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  get idle(): boolean {
    return this.#pending.size === 0;
  }

  private async deliver(rule: Rule, event: unknown): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt += 1) {
      try {
        await rule.target(event);
        this.delivered += 1;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    this.failed.push({
      rule: rule.name,
      event,
      error: lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError),
    });
  }
}
