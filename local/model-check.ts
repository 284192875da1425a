import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { itemKey } from '../functions/adapters/dynamo/state-table.ts';
import { acceptedKey } from '../functions/domain/decision.ts';
import { EventPublishError } from '../functions/domain/errors.ts';
import { ENCRYPTABLE_STREAM_TYPE, ENCRYPTION_CALL_WINDOW_MS, ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import type { StreamRef } from '../functions/domain/stream-ref.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalAccount } from './account.ts';
import type { CloudTrailEvent } from './emulator/index.ts';
import { runLocalSweep } from './local-sweep.ts';
import { STREAMS_PER_SCHEDULE, type Command, type Step } from './model-schedules.ts';

/**
 * The model-based attack on the promise (issue "Never leave a stream behind"): random schedules of
 * what people, AWS and failures do to a few streams of the local account, interleaved with the
 * deployed workflow (the ASL, the real handlers, the emulator, dynalite). After each schedule the
 * account is left to quiesce (every due retry runs), the scheduled sweep runs once, one settle
 * passes, and four properties are checked for every stream:
 *   (a) a non-exempt DirectPut stream is ENABLED with an accepted key, or its latest outcome is
 *       FAILED or DEFERRED and a retry is scheduled;
 *   (b) no 24-hour window holds more than 25 accepted Start+Stop calls, nor more of ours than our share;
 *   (c) no lease is held once no execution runs;
 *   (d) every verdict (REMEDIATED, COMPLIANT) was true when it was recorded: the stream was ENABLED
 *       with an accepted key and PutRecord answered Encrypted.
 */

export interface Violation {
  property: 'a' | 'b' | 'c' | 'd' | 'crash';
  stream?: string;
  details: string;
}

const PERSON = { accessKeyId: 'AKIAPERSON' };
const EXEMPT_TAG = 'sse-guard:exempt';

/** One local account that runs schedule after schedule, each on streams of its own. */
export class ModelChecker {
  private schedule = 0;
  private fate: 'lose' | 'delay' | 'duplicate' | undefined;
  private delayed: CloudTrailEvent[] = [];
  private crashes: { step: Step; when: 'before' | 'after' }[] = [];
  private dynamoFaults = 0;
  private publishFaults = 0;
  private verdictProblems: Violation[] = [];
  private streams: string[] = [];

  private constructor(
    readonly account: LocalAccount,
    private readonly keys: { approved: string; unapproved: string },
  ) {}

  static async start(): Promise<ModelChecker> {
    const account = await LocalAccount.start({
      sdkAttempts: 1,
      emulator: { timings: { creatingMs: 1_000, enablingMs: 3_000, disablingMs: 1_000, deletingMs: 1_000 } },
    });
    const kms = account.emulator.emulator.kms;
    const approved = kms.createKey({}).arn;
    const unapproved = kms.createKey({}).arn;
    account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [approved], fallbackToAwsOwned: true } });
    const checker = new ModelChecker(account, { approved, unapproved });
    checker.wire();
    return checker;
  }

  /** Trigger delivery with fates, crashes, DynamoDB and EventBridge faults, and the verdict check (d). */
  private wire(): void {
    const { account } = this;
    account.emulator.emulator.cloudTrail.subscribe((event) => {
      const fate = this.fate;
      this.fate = undefined;
      if (fate === 'lose') return;
      if (fate === 'delay') this.delayed.push(event);
      else account.bus.put(event);
      if (fate === 'duplicate') account.bus.put(event);
    });
    account.runner.intercept = (fn, when) => {
      if (when === 'end') return;
      const i = this.crashes.findIndex((c) => c.step === fn && c.when === when);
      if (i < 0) return;
      this.crashes.splice(i, 1);
      throw Object.assign(new Error(`injected crash ${when} ${fn}`), { name: 'Lambda.ServiceException' });
    };
    const send = account.table.documents.send.bind(account.table.documents) as (command: unknown) => Promise<unknown>;
    (account.table.documents as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
      if (this.dynamoFaults > 0) {
        this.dynamoFaults -= 1;
        throw Object.assign(new Error('We currently do not have sufficient capacity (injected)'), { name: 'InternalServerError' });
      }
      return send(command);
    };
    const publish = account.events.publish.bind(account.events);
    account.events.publish = async (events: readonly GuardEvent[]) => {
      if (this.publishFaults > 0) {
        this.publishFaults -= 1;
        throw new EventPublishError(
          'EventBridge unavailable (injected)',
          events.map((e) => ({ detailType: e.detailType, errorCode: 'InternalFailure' })),
        );
      }
      return publish(events);
    };
    const states = account.deps.states;
    const put = states.put.bind(states);
    // A verdict is checked when it is first recorded. Later writes of the same outcome only record which
    // of its events were delivered (a retried Conclude, the cleanup after an EventBridge outage): those
    // events say when they occurred, and are late, not new.
    const checked = new Set<string>();
    states.put = async (ref, state) => {
      const first = state.outcomeId === undefined || !checked.has(state.outcomeId);
      if (state.outcomeId !== undefined) checked.add(state.outcomeId);
      if (first && (state.verdict === 'COMPLIANT' || state.verdict === 'REMEDIATED')) {
        const problem = this.untrueVerdict(ref.name);
        if (problem) this.verdictProblems.push({ property: 'd', stream: ref.name, details: `${state.verdict} recorded while ${problem}` });
      }
      return put(ref, state);
    };
  }

  /** Why a verdict of "encrypted with an accepted key" would be untrue now, or undefined. */
  private untrueVerdict(name: string): string | undefined {
    const firehose = this.account.emulator.emulator.firehose;
    let description: {
      DeliveryStreamDescription: {
        DeliveryStreamEncryptionConfiguration: { Status: string; KeyType?: 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK'; KeyARN?: string };
      };
    };
    try {
      description = firehose.handle('DescribeDeliveryStream', { DeliveryStreamName: name }) as never;
    } catch {
      return 'the stream does not exist';
    }
    const encryption = description.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration;
    const keptAfterFailedChange = encryption.Status === 'ENABLING_FAILED' && encryption.KeyType !== undefined;
    if (encryption.Status !== 'ENABLED' && !keptAfterFailedChange) return `encryption is ${encryption.Status}`;
    if (!acceptedKey(encryption.KeyType, encryption.KeyARN, this.account.deps.policy, { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION }))
      return `the key ${encryption.KeyARN ?? encryption.KeyType} is not accepted`;
    try {
      const put = firehose.handle('PutRecord', { DeliveryStreamName: name, Record: { Data: 'eA==' } }) as { Encrypted?: boolean };
      if (put.Encrypted !== true) return 'PutRecord answers Encrypted: false';
    } catch {
      // A key disabled since: records are refused, not written unencrypted.
    }
    return undefined;
  }

  private nameOf(stream: number): string {
    return `m${this.schedule}-${stream}`;
  }

  private async person(operation: string, input: Record<string, unknown>): Promise<void> {
    await this.account.emulator.emulator.call('firehose', operation, input, PERSON).catch(() => undefined);
  }

  private async apply(command: Command): Promise<void> {
    const { account, keys } = this;
    const emulator = account.emulator.emulator;
    switch (command.kind) {
      case 'create':
        return this.person('CreateDeliveryStream', {
          DeliveryStreamName: this.nameOf(command.stream),
          ExtendedS3DestinationConfiguration: {
            RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/delivery`,
            BucketARN: 'arn:aws:s3:::bucket',
          },
        });
      case 'delete':
        return this.person('DeleteDeliveryStream', { DeliveryStreamName: this.nameOf(command.stream) });
      case 'personStart': {
        const key =
          command.key === 'awsOwned'
            ? { KeyType: 'AWS_OWNED_CMK' }
            : { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: command.key === 'approved' ? keys.approved : keys.unapproved };
        return this.person('StartDeliveryStreamEncryption', {
          DeliveryStreamName: this.nameOf(command.stream),
          DeliveryStreamEncryptionConfigurationInput: key,
        });
      }
      case 'personStop':
        return this.person('StopDeliveryStreamEncryption', { DeliveryStreamName: this.nameOf(command.stream) });
      case 'tagExempt':
        return this.person('TagDeliveryStream', {
          DeliveryStreamName: this.nameOf(command.stream),
          Tags: [{ Key: EXEMPT_TAG, Value: 'true' }],
        });
      case 'untag':
        return this.person('UntagDeliveryStream', { DeliveryStreamName: this.nameOf(command.stream), TagKeys: [EXEMPT_TAG] });
      case 'disableKey':
        emulator.kms.disableKey(keys[command.key]);
        return;
      case 'enableKey':
        emulator.kms.enableKey(keys[command.key]);
        return;
      case 'firehoseFault':
        emulator.faults.failNext(command.operation, command.count, {
          type: command.error,
          message: `injected ${command.error}`,
          ...(command.error === 'ServiceUnavailableException' ? { statusCode: 503 } : {}),
        });
        return;
      case 'enablementFailure':
        emulator.faults.failNextEnablement(1, { type: command.type });
        return;
      case 'dynamoFault':
        this.dynamoFaults += command.count;
        return;
      case 'publishFault':
        this.publishFaults += command.count;
        return;
      case 'crash':
        this.crashes.push({ step: command.step, when: command.when });
        return;
      case 'delivery':
        this.fate = command.fate;
        return;
      case 'advance':
        for (const event of this.delayed.splice(0)) account.bus.put(event);
        account.clock.advance(command.seconds * 1000);
        return;
      case 'drain':
        await account.drain();
        return;
    }
  }

  /** Runs one schedule to quiescence and checks (a) to (d) for its streams. */
  async run(commands: readonly Command[]): Promise<Violation[]> {
    this.schedule += 1;
    this.streams = Array.from({ length: STREAMS_PER_SCHEDULE }, (_, i) => this.nameOf(i));
    this.verdictProblems = [];
    const { account } = this;
    const began = account.clock.now();
    const violations: Violation[] = [];
    try {
      const pending: Promise<void>[] = [];
      for (const command of commands) {
        // Commands land while the workflows they start are running: their interleaving is the point.
        pending.push(this.apply(command));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await Promise.all(pending);
    } catch (error) {
      violations.push({ property: 'crash', details: `the schedule itself failed: ${String(error)}` });
    }
    await this.quiesce(began);
    violations.push(...this.verdictProblems, ...(await this.check(began)));
    await this.tearDown();
    return violations;
  }

  /** Every fault cleared, late deliveries made, every due retry run, the sweep once, one settle. */
  private async quiesce(began: number): Promise<void> {
    const { account } = this;
    this.fate = undefined;
    this.crashes = [];
    this.dynamoFaults = 0;
    this.publishFaults = 0;
    account.emulator.emulator.faults.reset();
    for (const event of this.delayed.splice(0)) account.bus.put(event);
    await account.drain();
    const horizon = began + 2 * ENCRYPTION_CALL_WINDOW_MS;
    for (;;) {
      await account.drain();
      const next = this.pendingRetries()
        .map((r) => r.at)
        .sort((a, b) => a - b)[0];
      if (next === undefined || next > horizon) break;
      account.clock.set(Math.max(account.clock.now(), next));
    }
    // The scheduled sweep (every 6 hours when deployed): catches whatever trigger was lost, and takes
    // over a lease whose execution never started.
    account.clock.advance(10 * 60_000);
    await runLocalSweep(account);
    await account.drain();
    account.clock.advance(10_000);
    await account.drain();
  }

  private pendingRetries() {
    return this.streams.flatMap((name) => this.account.scheduler.pendingFor(this.ref(name)));
  }

  private ref(name: string): StreamRef {
    return { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name };
  }

  private async check(began: number): Promise<Violation[]> {
    const { account } = this;
    const violations: Violation[] = [];
    const firehose = account.emulator.emulator.firehose;
    const now = account.clock.now();
    const calls = account.emulator.emulator.cloudTrail
      .events()
      .filter(
        (e) =>
          (e.detail.eventName === 'StartDeliveryStreamEncryption' || e.detail.eventName === 'StopDeliveryStreamEncryption') &&
          !e.detail.errorCode,
      );
    for (const name of this.streams) {
      // (a)
      let description: { DeliveryStreamDescription: { DeliveryStreamType: string } } | undefined;
      try {
        description = firehose.handle('DescribeDeliveryStream', { DeliveryStreamName: name }) as unknown as typeof description;
      } catch {
        description = undefined;
      }
      if (description && description.DeliveryStreamDescription.DeliveryStreamType === ENCRYPTABLE_STREAM_TYPE) {
        const tags = (
          firehose.handle('ListTagsForDeliveryStream', { DeliveryStreamName: name }) as { Tags: { Key: string; Value: string }[] }
        ).Tags;
        const exempt = tags.some((t) => t.Key === EXEMPT_TAG && t.Value === 'true');
        const problem = exempt ? undefined : this.untrueVerdict(name);
        if (problem) {
          const last = account.events.events
            .filter(
              (e) =>
                (e.detail as { stream?: { name: string } }).stream?.name === name &&
                ['remediationSucceeded', 'remediationDeferred', 'remediationFailed', 'evaluated'].includes(e.detail.kind) &&
                e.detail.kind !== 'evaluated',
            )
            .at(-1);
          const told = last && (last.detail.kind === 'remediationFailed' || last.detail.kind === 'remediationDeferred');
          if (!told || account.scheduler.pendingFor(this.ref(name)).length === 0) {
            violations.push({
              property: 'a',
              stream: name,
              details: `${problem}, and ${told ? 'no retry is scheduled' : `its latest outcome is ${last?.detail.kind ?? 'none'}`}`,
            });
          }
        }
      }
      // (b)
      const detail = (e: CloudTrailEvent) =>
        e.detail as unknown as { requestParameters?: { deliveryStreamName?: string }; eventTime: string; userIdentity?: { arn?: string } };
      const mine = calls.filter(
        (e) => detail(e).requestParameters?.deliveryStreamName === name && Date.parse(detail(e).eventTime) >= began,
      );
      const times = mine.map((e) => Date.parse(detail(e).eventTime)).sort((x, y) => x - y);
      const ours = mine
        .filter((e) => detail(e).userIdentity?.arn?.includes('firehose-sse-guard-remediator'))
        .map((e) => Date.parse(detail(e).eventTime))
        .sort((x, y) => x - y);
      const share = account.deps.policy.budget.share;
      if (maxInWindow(times) > ENCRYPTION_CALLS_PER_WINDOW)
        violations.push({ property: 'b', stream: name, details: `${maxInWindow(times)} calls in 24 hours` });
      if (maxInWindow(ours) > share)
        violations.push({ property: 'b', stream: name, details: `${maxInWindow(ours)} of ours in 24 hours (share ${share})` });
      // (c)
      const { Item } = await account.table.documents.send(
        new GetCommand({ TableName: account.table.tableName, Key: itemKey(this.ref(name), 'LEASE'), ConsistentRead: true }),
      );
      if (Item && Number(Item.leaseExpiresAt) > now)
        violations.push({ property: 'c', stream: name, details: `lease held by ${String(Item.owner)} with no execution running` });
    }
    return violations;
  }

  /** The schedule's streams are deleted and their retries cancelled: the next schedule starts clean. */
  private async tearDown(): Promise<void> {
    const { account } = this;
    account.emulator.emulator.kms.enableKey(this.keys.approved);
    account.emulator.emulator.kms.enableKey(this.keys.unapproved);
    for (const name of this.streams) {
      try {
        account.emulator.emulator.firehose.handle('DeleteDeliveryStream', { DeliveryStreamName: name, AllowForceDelete: true });
      } catch {
        // never created, or already deleted
      }
      account.scheduler.cancelFor(this.ref(name));
    }
    account.clock.advance(3 * ENCRYPTION_CALL_WINDOW_MS);
    // What the next schedule checks starts empty: the checks stay linear however many schedules run.
    account.emulator.emulator.cloudTrail.clear();
    account.events.events.length = 0;
    account.starter.reports.length = 0;
  }

  async close(): Promise<void> {
    await this.account.close();
  }
}

/** The most calls in any 24-hour window, from sorted times. */
export function maxInWindow(sorted: readonly number[]): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= ENCRYPTION_CALL_WINDOW_MS) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
