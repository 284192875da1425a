import {
  CreateDeliveryStreamCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { firehoseClients, SdkFirehoseGateway, type FirehoseClients } from '../../../functions/adapters/firehose-gateway.ts';
import {
  FirehoseBudgetSpentError,
  InvalidKeyArnError,
  InvalidRequestError,
  InvalidStreamNameError,
  KeyCapacityError,
  RateLimitedError,
  StreamBusyError,
  StreamGoneError,
} from '../../../functions/domain/errors.ts';
import type { StreamRef } from '../../../functions/domain/stream-ref.ts';
import { ManualClock } from '../../../local/emulator/index.ts';
import { ACCOUNT, REGION, S3_DESTINATION, startHarness, type Harness } from '../../support/emulator-harness.ts';

const ref = (name: string): StreamRef => ({ account: ACCOUNT, region: REGION, name });

/**
 * Moves `clock` by `ms` before every retry the client makes: the SDK's backoff, played on the rate
 * limiter's clock instead of waited for. Runs inside the retry middleware, so once per attempt.
 */
describe('Firehose gateway against the emulator', () => {
  let h: Harness;
  let clients: FirehoseClients;
  let gateway: SdkFirehoseGateway;
  afterEach(() => h.close());

  async function setUp(options: Parameters<typeof startHarness>[0] = {}, pages = {}): Promise<void> {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 }, ...options });
    clients = firehoseClients({
      endpoint: h.running.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'AKIAGATEWAY', secretAccessKey: 'x' },
    });
    gateway = new SdkFirehoseGateway(() => clients, pages);
  }
  const create = (name: string, extra: Record<string, unknown> = {}) =>
    h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...S3_DESTINATION, ...extra }));
  const startCalls = () => h.running.emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' });

  it('describes a stream in domain terms, and a missing one as undefined', async () => {
    await setUp();
    await create('orders');
    expect(await gateway.describe(ref('orders'))).toEqual({
      name: 'orders',
      arn: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders`,
      type: 'DirectPut',
      status: 'ACTIVE',
      encryption: { status: 'DISABLED' },
    });
    expect(await gateway.describe(ref('nope'))).toBeUndefined();
  });

  it('reports ENABLING_FAILED with its failure description', async () => {
    await setUp();
    await create('orders');
    h.running.emulator.faults.failNextEnablement(1, { type: 'KMS_ACCESS_DENIED', details: 'denied' });
    await gateway.startEncryption(ref('orders'), { keyType: 'AWS_OWNED_CMK' });
    expect((await gateway.describe(ref('orders')))?.encryption).toEqual({
      status: 'ENABLING_FAILED',
      keyType: 'AWS_OWNED_CMK',
      failure: { type: 'KMS_ACCESS_DENIED', details: 'denied' },
    });
  });

  it('lists every stream name across pages, and resumes from a cursor', async () => {
    await setUp({}, { streams: 10 });
    const names = Array.from({ length: 25 }, (_, i) => `stream-${String(i).padStart(2, '0')}`);
    for (const name of names) await create(name);

    expect(await gateway.listNames({ account: ACCOUNT, region: REGION })).toEqual({ names, more: false });
    const first = await gateway.listNames({ account: ACCOUNT, region: REGION }, { limit: 12 });
    expect(first).toEqual({ names: names.slice(0, 12), more: true });
    const rest = await gateway.listNames({ account: ACCOUNT, region: REGION }, { startAfter: first.names.at(-1) });
    expect(rest).toEqual({ names: names.slice(12), more: false });
    expect(h.running.emulator.cloudTrail.events({ eventName: 'ListDeliveryStreams' })).toHaveLength(3 + 2 + 2);
  });

  it('reads every tag across pages', async () => {
    await setUp({}, { tags: 7 });
    await create('orders');
    const tags = Array.from({ length: 20 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: `v${i}` }));
    await h.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'orders', Tags: tags }));
    expect(await gateway.tags(ref('orders'))).toEqual(Object.fromEntries(tags.map((t) => [t.Key, t.Value])));
    expect(h.running.emulator.cloudTrail.events({ eventName: 'ListTagsForDeliveryStream' })).toHaveLength(3);
  });

  it('starts encryption with a customer managed key and returns the request id CloudTrail records', async () => {
    await setUp();
    await create('orders');
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const { requestId } = await gateway.startEncryption(ref('orders'), { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key });
    expect(requestId).toBeTruthy();
    expect(startCalls()[0]?.detail).toMatchObject({
      requestID: requestId,
      requestParameters: { deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyARN: key } },
    });
  });

  it('a spent 25-call budget is FirehoseBudgetSpentError, and the SDK did not retry it', async () => {
    await setUp();
    await create('orders');
    for (let i = 0; i < 25; i += 1) {
      const Command = i % 2 === 0 ? StartDeliveryStreamEncryptionCommand : StopDeliveryStreamEncryptionCommand;
      await h.firehose.send(
        new Command({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }),
      );
    }
    const before = startCalls().length;

    await expect(gateway.startEncryption(ref('orders'), { keyType: 'AWS_OWNED_CMK' })).rejects.toBeInstanceOf(FirehoseBudgetSpentError);
    expect(startCalls().length - before).toBe(1);
  });

  it('a customer managed key over its stream limit is KeyCapacityError', async () => {
    await setUp({ streamsPerCmk: 1 });
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await create('first', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } });
    await create('second');
    await expect(gateway.startEncryption(ref('second'), { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key })).rejects.toBeInstanceOf(
      KeyCapacityError,
    );
  });

  it('the control-plane rate limit is RateLimitedError on reads and writes alike, after one attempt: no SDK retry spends the Lambda timeout', async () => {
    // The limiter's clock stands still: what is throttled follows from the calls made alone.
    // Issue 13: "throttling is absorbed by waiting in the state machine ..., not inside one invocation."
    const rateClock = new ManualClock();
    await setUp({ rateLimit: { perSecond: 2 }, rateClock });
    await create('orders');
    await create('other');
    const writes = await Promise.allSettled(
      ['orders', 'other', 'orders'].map((n) => gateway.startEncryption(ref(n), { keyType: 'AWS_OWNED_CMK' })),
    );
    const refusedWrites = writes.filter((w) => w.status === 'rejected').map((w) => w.reason as Error);
    expect(refusedWrites).toHaveLength(1);
    expect(refusedWrites[0]).toBeInstanceOf(RateLimitedError);

    const reads = await Promise.allSettled(Array.from({ length: 5 }, () => gateway.describe(ref('orders'))));
    const refusedReads = reads.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
    expect(reads.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(refusedReads).toHaveLength(3);
    expect(refusedReads.every((e) => e instanceof RateLimitedError)).toBe(true);
    // One attempt each: 3 + 5 calls reached Firehose, 4 were throttled, none was tried again.
    expect(h.running.emulator.rateLimiter?.throttledCount).toBe(4);
    expect(h.running.emulator.cloudTrail.events({ eventName: 'DescribeDeliveryStream' })).toHaveLength(5);
  });

  it('maps ResourceInUse to StreamBusyError, a missing stream to StreamGoneError and a non-DirectPut stream to InvalidRequestError', async () => {
    await setUp({ timings: { creatingMs: 60_000 } });
    await create('creating');
    await expect(gateway.startEncryption(ref('creating'), { keyType: 'AWS_OWNED_CMK' })).rejects.toBeInstanceOf(StreamBusyError);
    await expect(gateway.startEncryption(ref('missing'), { keyType: 'AWS_OWNED_CMK' })).rejects.toBeInstanceOf(StreamGoneError);
    await create('from-kinesis', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s`,
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`,
      },
    });
    h.clock.advance(60_000);
    await expect(gateway.startEncryption(ref('from-kinesis'), { keyType: 'AWS_OWNED_CMK' })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('refuses invalid names and key ARNs before any Firehose call', async () => {
    await setUp();
    await expect(gateway.describe(ref('bad name'))).rejects.toBeInstanceOf(InvalidStreamNameError);
    await expect(gateway.tags(ref(''))).rejects.toBeInstanceOf(InvalidStreamNameError);
    await expect(gateway.listNames({ account: ACCOUNT, region: REGION }, { startAfter: 'no/slashes' })).rejects.toBeInstanceOf(
      InvalidStreamNameError,
    );
    await expect(
      gateway.startEncryption(ref('orders'), { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/sse` }),
    ).rejects.toBeInstanceOf(InvalidKeyArnError);
    expect(h.running.emulator.cloudTrail.size).toBe(0);
  });
});
