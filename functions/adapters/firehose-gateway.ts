import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  type DeliveryStreamDescription,
  type FirehoseClientConfig,
} from '@aws-sdk/client-firehose';
import type { StreamDescription, TargetKey } from '../domain/decision.ts';
import type { FirehoseGateway } from '../domain/ports.ts';
import { parseKeyArn, parseStreamName, type StreamRef } from '../domain/stream-ref.ts';
import { StreamGoneError } from '../domain/errors.ts';
import { firehoseError } from './sdk-errors.ts';
import { ENCRYPTABLE_STREAM_TYPE } from '../domain/firehose-facts.ts';

/** Clients for one account and region: reads may be retried by the SDK, writes never are. */
export interface FirehoseClients {
  read: FirehoseClient;
  write: FirehoseClient;
}

/**
 * Every call makes one attempt. Reads: throttling is absorbed by the shared pacing and by waiting in
 * the state machine (functions/domain/pacing.ts), never by SDK retries that spend the Lambda's
 * timeout; a transient failure is retried by the state machine. Writes: the SDK counts
 * LimitExceededException as throttling and would retry a spent 25-call budget, and a blind retry of
 * Start after a timeout could spend a second call. The workflow decides.
 */
export function firehoseClients(config: FirehoseClientConfig = {}): FirehoseClients {
  return {
    read: new FirehoseClient({ maxAttempts: 1, ...config }),
    write: new FirehoseClient({ ...config, maxAttempts: 1 }),
  };
}

/** Page sizes: the API's maxima by default (smaller ones let tests exercise paging). */
export interface PageSizes {
  streams?: number;
  tags?: number;
}

/**
 * The Firehose port over the AWS SDK. Every name and key ARN is checked before a call, so an
 * invalid argument never reaches Firehose.
 *
 * IAM: firehose:DescribeDeliveryStream, firehose:ListDeliveryStreams, firehose:ListTagsForDeliveryStream,
 * firehose:StartDeliveryStreamEncryption on arn:aws:firehose:<region>:<account>:deliverystream/*.
 */
export class SdkFirehoseGateway implements FirehoseGateway {
  readonly #streamPage: number;
  readonly #tagPage: number;

  constructor(
    private readonly clientsFor: (scope: { account: string; region: string }) => FirehoseClients,
    pages: PageSizes = {},
  ) {
    this.#streamPage = pages.streams ?? 10_000;
    this.#tagPage = pages.tags ?? 50;
  }

  async describe(ref: StreamRef): Promise<StreamDescription | undefined> {
    const name = parseStreamName(ref.name);
    try {
      const output = await this.clientsFor(ref).read.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name, Limit: 1 }));
      return toDescription(output.DeliveryStreamDescription);
    } catch (error) {
      const mapped = firehoseError(error, 'DescribeDeliveryStream', name);
      if (mapped instanceof StreamGoneError) return undefined;
      throw mapped;
    }
  }

  async tags(ref: StreamRef): Promise<Record<string, string>> {
    const name = parseStreamName(ref.name);
    const tags: Record<string, string> = {};
    let start: string | undefined;
    for (;;) {
      const page = await this.clientsFor(ref)
        .read.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: name, Limit: this.#tagPage, ExclusiveStartTagKey: start }))
        .catch((error: unknown) => {
          throw firehoseError(error, 'ListTagsForDeliveryStream', name);
        });
      for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
      const last = page.Tags?.at(-1)?.Key;
      if (!page.HasMoreTags || !last) return tags;
      start = last;
    }
  }

  /** Pages by hand (the API has no paginator): Limit, ExclusiveStartDeliveryStreamName, HasMoreDeliveryStreams. */
  async listNames(
    scope: { account: string; region: string },
    options: { startAfter?: string; limit?: number } = {},
  ): Promise<{ names: string[]; more: boolean }> {
    const wanted = options.limit ?? Number.POSITIVE_INFINITY;
    const names: string[] = [];
    let start = options.startAfter === undefined ? undefined : parseStreamName(options.startAfter);
    for (;;) {
      const limit = Math.min(this.#streamPage, wanted - names.length);
      const page = await this.clientsFor(scope)
        .read.send(new ListDeliveryStreamsCommand({ Limit: limit, ExclusiveStartDeliveryStreamName: start }))
        .catch((error: unknown) => {
          throw firehoseError(error, 'ListDeliveryStreams', `${scope.account}/${scope.region}`);
        });
      names.push(...(page.DeliveryStreamNames ?? []));
      const last = page.DeliveryStreamNames?.at(-1);
      if (!page.HasMoreDeliveryStreams || !last) return { names, more: false };
      if (names.length >= wanted) return { names, more: true };
      start = last;
    }
  }

  async startEncryption(ref: StreamRef, key: TargetKey): Promise<{ requestId?: string }> {
    const name = parseStreamName(ref.name);
    const input =
      key.keyType === 'CUSTOMER_MANAGED_CMK' ? { KeyType: key.keyType, KeyARN: parseKeyArn(key.keyArn).arn } : { KeyType: key.keyType };
    try {
      const output = await this.clientsFor(ref).write.send(
        new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: name, DeliveryStreamEncryptionConfigurationInput: input }),
      );
      return output.$metadata.requestId ? { requestId: output.$metadata.requestId } : {};
    } catch (error) {
      throw firehoseError(error, 'StartDeliveryStreamEncryption', name);
    }
  }
}

function toDescription(d: DeliveryStreamDescription | undefined): StreamDescription | undefined {
  if (!d?.DeliveryStreamName) return undefined;
  const e = d.DeliveryStreamEncryptionConfiguration;
  return {
    name: d.DeliveryStreamName,
    arn: d.DeliveryStreamARN ?? '',
    type: d.DeliveryStreamType ?? ENCRYPTABLE_STREAM_TYPE,
    status: d.DeliveryStreamStatus ?? 'ACTIVE',
    ...(d.LastUpdateTimestamp ? { lastUpdatedAt: d.LastUpdateTimestamp.getTime() } : {}),
    encryption: {
      // A stream that never had SSE may come back without the structure: that is DISABLED.
      status: e?.Status ?? 'DISABLED',
      ...(e?.KeyType ? { keyType: e.KeyType } : {}),
      ...(e?.KeyARN ? { keyArn: e.KeyARN } : {}),
      ...(e?.FailureDescription?.Type ? { failure: { type: e.FailureDescription.Type, details: e.FailureDescription.Details ?? '' } } : {}),
    },
  };
}
