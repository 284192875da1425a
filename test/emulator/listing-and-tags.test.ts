import {
  CreateDeliveryStreamCommand,
  LimitExceededException,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
  type DeliveryStreamType,
} from '@aws-sdk/client-firehose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const KINESIS_SOURCE = {
  DeliveryStreamType: 'KinesisStreamAsSource' as DeliveryStreamType,
  KinesisStreamSourceConfiguration: {
    KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s`,
    RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`,
  },
};

describe('emulator: ListDeliveryStreams paging and tags', () => {
  let h: Harness;
  const names = ['delta', 'alpha', 'Zulu', 'charlie', 'bravo', 'echo', 'a.b', 'a_b', 'a-b'];
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 0 } });
    for (const name of names) {
      const source = name === 'charlie' || name === 'echo' ? KINESIS_SOURCE : {};
      await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...source, ...S3_DESTINATION }));
    }
  });
  afterEach(() => h.close());

  it('rule "names come back in alphabetical order", paged by Limit, ExclusiveStartDeliveryStreamName and HasMoreDeliveryStreams', async () => {
    const pages: string[][] = [];
    let start: string | undefined;
    for (;;) {
      const page = await h.firehose.send(new ListDeliveryStreamsCommand({ Limit: 4, ExclusiveStartDeliveryStreamName: start }));
      pages.push(page.DeliveryStreamNames ?? []);
      if (!page.HasMoreDeliveryStreams) break;
      start = page.DeliveryStreamNames?.at(-1);
    }
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(pages.flat()).toEqual([...names].sort());
  });

  it('lists 10 names by default, and filters by DeliveryStreamType', async () => {
    const all = await h.firehose.send(new ListDeliveryStreamsCommand({}));
    expect(all.DeliveryStreamNames).toHaveLength(9);
    expect(all.HasMoreDeliveryStreams).toBe(false);
    const kinesis = await h.firehose.send(new ListDeliveryStreamsCommand({ DeliveryStreamType: 'KinesisStreamAsSource' }));
    expect(kinesis.DeliveryStreamNames).toEqual(['charlie', 'echo']);
    const exact = await h.firehose.send(new ListDeliveryStreamsCommand({ Limit: 9 }));
    expect(exact.HasMoreDeliveryStreams).toBe(false);
  });

  it('rule "Limit 1..10000": a Limit of 0 is a ValidationException', async () => {
    expect((await errorOf(h.firehose.send(new ListDeliveryStreamsCommand({ Limit: 0 })))).name).toBe('ValidationException');
  });

  it('tags, untags and lists tags in pages', async () => {
    await h.firehose.send(
      new TagDeliveryStreamCommand({
        DeliveryStreamName: 'alpha',
        Tags: [
          { Key: 'team', Value: 'data' },
          { Key: 'sse-guard:exempt', Value: 'true' },
          { Key: 'cost', Value: '1' },
        ],
      }),
    );
    await h.firehose.send(new UntagDeliveryStreamCommand({ DeliveryStreamName: 'alpha', TagKeys: ['cost'] }));

    const first = await h.firehose.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'alpha', Limit: 1 }));
    expect(first).toMatchObject({ Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }], HasMoreTags: true });
    const second = await h.firehose.send(
      new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'alpha', ExclusiveStartTagKey: 'sse-guard:exempt' }),
    );
    expect(second).toMatchObject({ Tags: [{ Key: 'team', Value: 'data' }], HasMoreTags: false });
  });

  it('refuses a 51st tag with LimitExceededException and tag keys starting with aws:', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await h.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'alpha', Tags: fifty }));
    const error = await errorOf(
      h.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'alpha', Tags: [{ Key: 'k50', Value: 'v' }] })),
    );
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toContain('at most 50 tags');
    const reserved = await errorOf(
      h.firehose.send(new TagDeliveryStreamCommand({ DeliveryStreamName: 'bravo', Tags: [{ Key: 'aws:x', Value: 'v' }] })),
    );
    expect(reserved.name).toBe('ValidationException');
  });
});
