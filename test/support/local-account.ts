import { CreateDeliveryStreamCommand, FirehoseClient, type CreateDeliveryStreamCommandInput } from '@aws-sdk/client-firehose';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, expect } from 'vitest';
import { EVENT_TYPES, type EventKind, type GuardEvent } from '../../functions/domain/events.ts';
import type { Trigger } from '../../functions/domain/events.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalAccount, type LocalAccountOptions } from '../../local/account.ts';
import type { ExecutionReport } from '../../local/workflow-runner.ts';
import { S3_DESTINATION } from './emulator-harness.ts';
import { schemaValidator } from './schemas.ts';

/** A local account plus a person's SDK clients (their calls are not the remediator's). */
export interface Scenario {
  account: LocalAccount;
  person: FirehoseClient;
  kms: KMSClient;
  createStream(name: string, extra?: Partial<CreateDeliveryStreamCommandInput>): Promise<void>;
  createKey(spec?: 'SYMMETRIC_DEFAULT' | 'RSA_2048'): Promise<string>;
  remediate(name: string, trigger?: Trigger): Promise<ExecutionReport>;
  /** Start calls Firehose accepted for a stream, by anyone. */
  acceptedStarts(name: string): number;
  eventKinds(): EventKind[];
  close(): Promise<void>;
}

let executions = 0;

export async function startScenario(options: LocalAccountOptions = {}): Promise<Scenario> {
  const account = await LocalAccount.start({
    ...options,
    emulator: { timings: { creatingMs: 0, enablingMs: 3_000, disablingMs: 1_000, deletingMs: 0 }, ...options.emulator },
  });
  const credentials = { accessKeyId: 'AKIAPERSON', secretAccessKey: 'x' };
  const person = new FirehoseClient({ endpoint: account.endpoint, region: LOCAL_REGION, credentials, maxAttempts: 1 });
  const kms = new KMSClient({ endpoint: account.endpoint, region: LOCAL_REGION, credentials, maxAttempts: 1 });
  return {
    account,
    person,
    kms,
    createStream: async (name, extra = {}) => {
      await person.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...S3_DESTINATION, ...extra }));
    },
    createKey: async (spec = 'SYMMETRIC_DEFAULT') =>
      (await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!,
    remediate: async (name, trigger = 'stream-created') => {
      executions += 1;
      const correlationId = `exec-${executions}-${name}`.slice(0, 80);
      return account.runner.run(correlationId, {
        stream: { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name },
        trigger,
        detectedAt: account.clock.now(),
        correlationId,
      });
    },
    acceptedStarts: (name) =>
      account.emulator.emulator.cloudTrail
        .events({ eventName: 'StartDeliveryStreamEncryption' })
        .filter((e) => !e.detail.errorCode && (e.detail.requestParameters as { deliveryStreamName?: string }).deliveryStreamName === name)
        .length,
    eventKinds: () => account.events.events.map((e) => e.detail.kind),
    close: async () => {
      person.destroy();
      kms.destroy();
      await account.close();
    },
  };
}

/**
 * Gives each test of the enclosing `describe` a fresh scenario on `options`, started before the test
 * and closed after it. The returned object stands for the current test's scenario (a proxy), so
 * describe-level helpers can use it too; touching it outside a test throws.
 *
 * @example
 * describe('workflow: a new stream', () => {
 *   const s = useScenario({ triggers: true });
 *   it('is remediated', async () => {
 *     await s.createStream('orders');
 *   });
 * });
 */
export function useScenario(options: LocalAccountOptions = {}): Scenario {
  let current: Scenario | undefined;
  beforeEach(async () => {
    current = await startScenario(options);
  });
  afterEach(async () => {
    const closing = current;
    current = undefined;
    await closing?.close();
  });
  return new Proxy({} as Scenario, {
    get: (_target, key) => {
      if (!current) throw new Error('useScenario: the scenario exists only while a test of its describe runs');
      return Reflect.get(current, key) as unknown;
    },
    set: (_target, key, value) => {
      if (!current) throw new Error('useScenario: the scenario exists only while a test of its describe runs');
      return Reflect.set(current, key, value);
    },
  });
}

/**
 * For tests that each need their own options: returns a function that starts a scenario, and closes
 * every scenario it started after each test (also when the test failed before reaching its end).
 *
 * @example
 * const freshScenario = useScenarios();
 * it('waits out a CREATING stream', async () => {
 *   const s = await freshScenario({ emulator: { timings: { creatingMs: 45_000 } } });
 * });
 */
export function useScenarios(): (options?: LocalAccountOptions) => Promise<Scenario> {
  const started: Scenario[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (options) => {
    const s = await startScenario(options);
    started.push(s);
    return s;
  };
}

/** Every published event must match its JSON Schema (infra/schemas/). */
export function expectSchemaValid(events: readonly GuardEvent[]): void {
  for (const event of events) {
    const validate = schemaValidator(event.detail.kind);
    expect(validate(event.detail), `${EVENT_TYPES[event.detail.kind].detailType}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
}
