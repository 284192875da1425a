import { randomBytes } from 'node:crypto';
import { ENCRYPTABLE_STREAM_TYPE, streamArn, type StreamType } from '../../functions/domain/firehose-facts.ts';
import type { Clock } from './clock.ts';
import {
  checkKeyCapacity,
  checkWritableKey,
  enablementOutcome,
  requestedKey,
  startEncryption,
  stopEncryption,
  type EncryptionContext,
} from './encryption.ts';
import { firehoseErrors, protocolErrors } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import type { KmsService } from './kms.ts';
import { describeView, isProtected, settle, type StreamRecord } from './streams.ts';

export interface EmulatorTimings {
  /** CREATING → ACTIVE. */
  creatingMs: number;
  /** DELETING → gone. */
  deletingMs: number;
  /** ENABLING → ENABLED or ENABLING_FAILED. */
  enablingMs: number;
  /** DISABLING → DISABLED. */
  disablingMs: number;
}

export interface FirehoseSettings {
  account: string;
  region: string;
  partition: string;
  timings: EmulatorTimings;
  streamsPerCmk: number;
  /** Streams per region ("up to 5,000"). */
  maxStreams: number;
}

const MAX_TAGS = 50;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const SOURCE_CONFIG: Partial<Record<StreamType, string>> = {
  KinesisStreamAsSource: 'KinesisStreamSourceConfiguration',
  MSKAsSource: 'MSKSourceConfiguration',
  DatabaseAsSource: 'DatabaseSourceConfiguration',
};

type Input = Record<string, unknown>;

type Tag = { Key: string; Value?: string };
type Named = { DeliveryStreamName: string };

/** The inputs of the operations the emulator serves, as their shapes (operation-shapes.ts) admit them. */
interface OperationInputs {
  CreateDeliveryStream: Named &
    Input & {
      DeliveryStreamType?: StreamType;
      DeliveryStreamEncryptionConfigurationInput?: { KeyType?: string; KeyARN?: string };
      Tags?: Tag[];
    };
  DeleteDeliveryStream: Named;
  DescribeDeliveryStream: Named;
  ListDeliveryStreams: { Limit?: number; DeliveryStreamType?: string; ExclusiveStartDeliveryStreamName?: string };
  StartDeliveryStreamEncryption: Named & Input;
  StopDeliveryStreamEncryption: Named;
  PutRecord: Named & { Record: { Data: string } };
  PutRecordBatch: Named & { Records: { Data: string }[] };
  TagDeliveryStream: Named & { Tags: Tag[] };
  UntagDeliveryStream: Named & { TagKeys: string[] };
  ListTagsForDeliveryStream: Named & { Limit?: number; ExclusiveStartTagKey?: string };
}
type Operation = keyof OperationInputs;

/** Amazon Data Firehose control and data plane, to the rules of shared/reference. */
export class FirehoseService {
  readonly #streams = new Map<string, StreamRecord>();

  constructor(
    readonly settings: FirehoseSettings,
    private readonly clock: Clock,
    private readonly kms: KmsService,
    private readonly faults: FaultInjector,
  ) {}

  /** Each operation with its input as the API model (operation-shapes.ts) has already checked it. */
  readonly #operations: { readonly [K in Operation]: (input: OperationInputs[K]) => Record<string, unknown> } = {
    CreateDeliveryStream: (input) => this.create(input),
    DeleteDeliveryStream: (input) => this.delete(input.DeliveryStreamName),
    DescribeDeliveryStream: (input) => ({ DeliveryStreamDescription: describeView(this.stream(input.DeliveryStreamName)) }),
    ListDeliveryStreams: (input) => this.list(input),
    StartDeliveryStreamEncryption: (input) => {
      startEncryption(this.encryptionContext(), this.stream(input.DeliveryStreamName), input);
      return {};
    },
    StopDeliveryStreamEncryption: (input) => {
      stopEncryption(this.encryptionContext(), this.stream(input.DeliveryStreamName));
      return {};
    },
    PutRecord: (input) => this.put(input.DeliveryStreamName, [input.Record], false),
    PutRecordBatch: (input) => this.put(input.DeliveryStreamName, input.Records, true),
    TagDeliveryStream: (input) => this.tag(input.DeliveryStreamName, input.Tags),
    UntagDeliveryStream: (input) => this.untag(input.DeliveryStreamName, input.TagKeys),
    ListTagsForDeliveryStream: (input) => this.listTags(input),
  };

  handle(operation: string, input: Input): Record<string, unknown> {
    if (!Object.hasOwn(this.#operations, operation))
      throw protocolErrors.unknownOperation(`Unknown operation Firehose_20150804.${operation}`);
    // The one cast: the request pipeline validated `input` against the operation's shape before this.
    const run = this.#operations[operation as Operation] as (validated: Input) => Record<string, unknown>;
    return run(input);
  }

  /** Every live stream, brought up to date with the clock. */
  streams(): StreamRecord[] {
    const now = this.clock.now();
    for (const [name, stream] of this.#streams) if (!settle(stream, now)) this.#streams.delete(name);
    return [...this.#streams.values()];
  }

  /** One stream, brought up to date, or ResourceNotFoundException. */
  stream(name: string): StreamRecord {
    const stream = this.#streams.get(name);
    if (stream && settle(stream, this.clock.now())) return stream;
    if (stream) this.#streams.delete(name);
    throw firehoseErrors.resourceNotFound(`Firehose stream ${name} under account ${this.settings.account} not found.`);
  }

  reset(): void {
    this.#streams.clear();
  }

  private encryptionContext(): EncryptionContext {
    const { timings, streamsPerCmk, account } = this.settings;
    return {
      kms: this.kms,
      faults: this.faults,
      streams: () => this.streams(),
      now: this.clock.now(),
      enablingMs: timings.enablingMs,
      disablingMs: timings.disablingMs,
      streamsPerCmk,
      account,
    };
  }

  private create(input: OperationInputs['CreateDeliveryStream']): Record<string, unknown> {
    const name = input.DeliveryStreamName;
    const type = input.DeliveryStreamType ?? ENCRYPTABLE_STREAM_TYPE;
    const { account, region, partition, timings, maxStreams } = this.settings;
    if (this.streams().some((s) => s.name === name)) {
      throw firehoseErrors.resourceInUse(`Firehose stream ${name} under account ${account} already exists.`);
    }
    const sourceMember = SOURCE_CONFIG[type];
    if (sourceMember && input[sourceMember] === undefined) {
      throw firehoseErrors.invalidArgument(`${sourceMember} is required for DeliveryStreamType ${type}.`);
    }
    const strayMember = Object.values(SOURCE_CONFIG).find((m) => m !== sourceMember && input[m] !== undefined);
    if (strayMember) throw firehoseErrors.invalidArgument(`${strayMember} is not valid for DeliveryStreamType ${type}.`);
    const destinations = Object.keys(input).filter((k) => k.endsWith('DestinationConfiguration'));
    if (destinations.length !== 1) {
      throw firehoseErrors.invalidArgument(`Exactly one destination configuration is required; got ${destinations.length}.`);
    }
    const encryptionInput = input.DeliveryStreamEncryptionConfigurationInput;
    if (encryptionInput && type !== ENCRYPTABLE_STREAM_TYPE) {
      throw firehoseErrors.invalidArgument(`Server-side encryption is supported only for DirectPut streams, not ${type}.`);
    }
    const key = encryptionInput ? requestedKey(encryptionInput) : undefined;
    if (this.streams().length >= maxStreams) {
      throw firehoseErrors.limitExceeded(`Account ${account} already has ${maxStreams} Firehose streams in ${region}.`);
    }
    const ctx = this.encryptionContext();
    if (key) checkKeyCapacity(ctx, key);
    const tags = input.Tags ?? [];
    const now = this.clock.now();
    const activeAt = now + timings.creatingMs;
    const stream: StreamRecord = {
      name,
      arn: streamArn(partition, region, account, name),
      type,
      status: 'CREATING',
      statusUntil: activeAt,
      createdAt: now,
      versionId: 1,
      encryption: { status: 'DISABLED' },
      tags: new Map(tags.map((t) => [t.Key, t.Value ?? ''])),
      destination: { name: destinations[0] as string, config: input[destinations[0] as string] },
      encryptionCalls: [],
      records: { total: 0, encrypted: 0 },
      ...(sourceMember ? { source: sourceDescription(type, input[sourceMember] as Input, activeAt) } : {}),
    };
    if (key) stream.encryption = { status: 'ENABLING', key, pending: enablementOutcome(ctx, stream, key, activeAt) };
    this.#streams.set(name, stream);
    settle(stream, now);
    return { DeliveryStreamARN: stream.arn };
  }

  private delete(name: string): Record<string, unknown> {
    const stream = this.stream(name);
    if (stream.status === 'CREATING') {
      throw firehoseErrors.resourceInUse(`Firehose stream ${name} is in CREATING state and cannot be deleted yet.`);
    }
    if (stream.status === 'ACTIVE') {
      const now = this.clock.now();
      stream.status = 'DELETING';
      stream.statusUntil = now + this.settings.timings.deletingMs;
      delete stream.encryption.pending;
      if (!settle(stream, now)) this.#streams.delete(name);
    }
    return {};
  }

  /** "Names come back in alphabetical order"; paged with Limit, ExclusiveStartDeliveryStreamName, HasMoreDeliveryStreams. */
  private list(input: OperationInputs['ListDeliveryStreams']): Record<string, unknown> {
    const limit = input.Limit ?? 10;
    const type = input.DeliveryStreamType;
    const start = input.ExclusiveStartDeliveryStreamName;
    const names = this.streams()
      .filter((s) => type === undefined || s.type === type)
      .map((s) => s.name)
      .sort()
      .filter((n) => start === undefined || n > start);
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  private put(name: string, records: { Data: string }[], batch: boolean): Record<string, unknown> {
    const stream = this.stream(name);
    if (stream.status !== 'ACTIVE') {
      throw firehoseErrors.resourceNotFound(`Firehose stream ${name} is ${stream.status}, not ACTIVE.`);
    }
    const bytes = records.reduce((sum, r) => sum + Buffer.byteLength(r.Data, 'base64'), 0);
    if (batch && bytes > MAX_BATCH_BYTES) {
      throw firehoseErrors.invalidArgument(`PutRecordBatch request of ${bytes} bytes exceeds the 4 MiB limit.`);
    }
    checkWritableKey(this.encryptionContext(), stream);
    // Encrypted is true only once ENABLED has lasted the settle time: "It can take up to 5 seconds
    // after the encryption status changes to ENABLED before all records ... are encrypted."
    const encrypted = isProtected(stream, this.clock.now());
    stream.records.total += records.length;
    if (encrypted) stream.records.encrypted += records.length;
    const recordId = (): string => randomBytes(42).toString('base64url');
    if (!batch) return { RecordId: recordId(), Encrypted: encrypted };
    return { FailedPutCount: 0, Encrypted: encrypted, RequestResponses: records.map(() => ({ RecordId: recordId() })) };
  }

  private tag(name: string, tags: { Key: string; Value?: string }[]): Record<string, unknown> {
    const stream = this.stream(name);
    if (stream.status !== 'ACTIVE')
      throw firehoseErrors.resourceInUse(`Firehose stream ${name} is ${stream.status}; tags change only when ACTIVE.`);
    const merged = new Map(stream.tags);
    for (const t of tags) merged.set(t.Key, t.Value ?? '');
    if (merged.size > MAX_TAGS) {
      throw firehoseErrors.limitExceeded(`A Firehose stream can have at most ${MAX_TAGS} tags; this request would make ${merged.size}.`);
    }
    stream.tags = merged;
    return {};
  }

  private untag(name: string, keys: string[]): Record<string, unknown> {
    const stream = this.stream(name);
    if (stream.status !== 'ACTIVE')
      throw firehoseErrors.resourceInUse(`Firehose stream ${name} is ${stream.status}; tags change only when ACTIVE.`);
    for (const key of keys) stream.tags.delete(key);
    return {};
  }

  private listTags(input: OperationInputs['ListTagsForDeliveryStream']): Record<string, unknown> {
    const stream = this.stream(input.DeliveryStreamName);
    const limit = input.Limit ?? MAX_TAGS;
    const start = input.ExclusiveStartTagKey;
    const tags = [...stream.tags.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([k]) => start === undefined || k > start)
      .map(([Key, Value]) => ({ Key, Value }));
    return { Tags: tags.slice(0, limit), HasMoreTags: tags.length > limit };
  }
}

function sourceDescription(type: StreamType, config: Input, startedAt: number): Record<string, unknown> {
  const DeliveryStartTimestamp = startedAt / 1000;
  if (type === 'KinesisStreamAsSource') return { KinesisStreamSourceDescription: { ...config, DeliveryStartTimestamp } };
  if (type === 'MSKAsSource') return { MSKSourceDescription: { ...config, DeliveryStartTimestamp } };
  return { DatabaseSourceDescription: { ...config } };
}
