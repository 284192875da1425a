import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  LimitExceededException,
  ListDeliveryStreamsCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const HOUR = 60 * 60 * 1000;

describe('emulator: limits, each with its own LimitExceededException message', () => {
  let h: Harness;
  afterEach(() => h.close());

  const start = (name = 'orders') =>
    h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: name,
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
  const stop = (name = 'orders') => h.firehose.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: name }));

  it('"you reach the limit if you call StartDeliveryStreamEncryption 13 times and StopDeliveryStreamEncryption 12 times ... in a 24-hour period"', async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    for (let i = 0; i < 12; i += 1) {
      await start();
      await stop();
      h.clock.advance(HOUR);
    }
    await start();

    const error = await errorOf(stop());

    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toContain('limit of 25 StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours');
    const encryption = (await h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' })))
      .DeliveryStreamDescription?.DeliveryStreamEncryptionConfiguration;
    expect(encryption?.Status).toBe('ENABLED');
  });

  it('the 25-call window is rolling: a call becomes available 24 hours after the oldest one, not at midnight', async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    await start(); // t = 0, the oldest call
    h.clock.advance(HOUR);
    for (let i = 0; i < 24; i += 1) await (i % 2 === 0 ? stop() : start()); // t = 1 h: 24 more, 25 in all

    h.clock.advance(23 * HOUR - 1); // 1 ms before the oldest call is 24 hours old
    expect(await errorOf(stop())).toBeInstanceOf(LimitExceededException);
    h.clock.advance(1);
    await stop();
    expect(await errorOf(start())).toBeInstanceOf(LimitExceededException);
    h.clock.advance(HOUR); // the 24 calls at t = 1 h age out together
    await start();
  });

  it('the budget is per stream: one stream spent does not limit another', async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
    for (const name of ['a', 'b']) await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...S3_DESTINATION }));
    for (let i = 0; i < 25; i += 1) await (i % 2 === 0 ? start('a') : stop('a'));
    expect(await errorOf(stop('a'))).toBeInstanceOf(LimitExceededException);
    await start('b');
  });

  it('"You can use a CMK of type CUSTOMER_MANAGED_CMK to encrypt up to 500 delivery streams"', async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 0 } });
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const withKey = { KeyType: 'CUSTOMER_MANAGED_CMK' as const, KeyARN: key };
    for (let i = 0; i < 500; i += 1) {
      await h.firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: `s-${i}`,
          DeliveryStreamEncryptionConfigurationInput: withKey,
          ...S3_DESTINATION,
        }),
      );
    }
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'one-more', ...S3_DESTINATION }));

    const viaStart = await errorOf(
      h.firehose.send(
        new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'one-more', DeliveryStreamEncryptionConfigurationInput: withKey }),
      ),
    );
    const viaCreate = await errorOf(
      h.firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: 'two-more',
          DeliveryStreamEncryptionConfigurationInput: withKey,
          ...S3_DESTINATION,
        }),
      ),
    );

    for (const error of [viaStart, viaCreate]) {
      expect(error).toBeInstanceOf(LimitExceededException);
      expect(error.message).toContain('already used to encrypt 500 Firehose streams; the limit is 500');
    }
    // Re-starting a stream that already uses the key does not count it twice.
    await h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 's-0', DeliveryStreamEncryptionConfigurationInput: withKey }),
    );
  });

  it('control plane "up to 5 calls per second": the sixth call in one second is throttled, and a second later there are five again', async () => {
    // A clock that stands still unless the test moves it: the count is about calls, never about how fast this machine is.
    const wall = {
      t: Date.UTC(2026, 0, 1),
      now() {
        return this.t;
      },
    };
    h = await startHarness({ rateLimit: {}, rateClock: wall });
    const list = () => h.firehose.send(new ListDeliveryStreamsCommand({}));
    const results = await Promise.allSettled(Array.from({ length: 6 }, list));

    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const reason = (rejected[0] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(LimitExceededException);
    expect(reason.message).toContain('Rate exceeded for ListDeliveryStreams');
    // Each operation has its own allowance ("can each provide up to five invocations per second").
    const other = await errorOf(h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'x' })));
    expect(other.name).toBe('ResourceNotFoundException');
    wall.t += 1_000;
    expect((await Promise.allSettled(Array.from({ length: 5 }, list))).every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it("a throttled call does not spend the stream's 25-call budget", async () => {
    const wall = {
      t: Date.UTC(2026, 0, 1),
      now() {
        return this.t;
      },
    };
    h = await startHarness({ rateLimit: { perSecond: 5 }, rateClock: wall, timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    for (let i = 0; i < 5; i += 1) await start();
    expect((await errorOf(start())).message).toContain('Rate exceeded');
    expect(h.running.emulator.firehose.stream('orders').encryptionCalls).toHaveLength(5);
  });
});
