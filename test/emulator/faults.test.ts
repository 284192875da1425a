import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  ServiceUnavailableException,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorOf, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

describe('emulator: fault injection, in process and through the admin path', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ timings: { creatingMs: 0, enablingMs: 1_000 } });
    await h.firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
  });
  afterEach(() => h.close());

  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(`${h.running.endpoint}/_emulator/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const describeEncryption = async () =>
    (await h.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }))).DeliveryStreamDescription!
      .DeliveryStreamEncryptionConfiguration!;
  const start = () =>
    h.firehose.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );

  it('fails the next N calls of an operation with the given error, then recovers', async () => {
    h.running.emulator.faults.failNext('ListDeliveryStreams', 2, {
      type: 'ServiceUnavailableException',
      message: 'try later',
      statusCode: 503,
    });

    const first = await errorOf(h.firehose.send(new ListDeliveryStreamsCommand({})));
    expect(first).toBeInstanceOf(ServiceUnavailableException);
    expect(first.$metadata?.httpStatusCode).toBe(503);
    await errorOf(h.firehose.send(new ListDeliveryStreamsCommand({})));
    expect((await h.firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toEqual(['orders']);
  });

  it('admin path: injects an error for an operation', async () => {
    expect(
      (await admin('faults', { operation: 'DescribeDeliveryStream', count: 1, error: { type: 'ResourceInUseException' } })).status,
    ).toBe(200);
    expect((await errorOf(describeEncryption())).name).toBe('ResourceInUseException');
    expect((await describeEncryption()).Status).toBe('DISABLED');
  });

  it('admin path: ends the next enablement in ENABLING_FAILED with a chosen FailureDescription.Type', async () => {
    await admin('enablement-failures', { count: 1, type: 'CREATE_KMS_GRANT_FAILED', details: 'grant failed' });
    await start();
    h.clock.advance(1_000);
    expect(await describeEncryption()).toMatchObject({
      Status: 'ENABLING_FAILED',
      FailureDescription: { Type: 'CREATE_KMS_GRANT_FAILED', Details: 'grant failed' },
    });

    await start();
    h.clock.advance(1_000);
    expect((await describeEncryption()).Status).toBe('ENABLED');
  });

  it("admin path: changes a key's state and its policy towards Firehose", async () => {
    const key = (await h.kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    expect((await admin('keys/state', { keyId: key.KeyId, state: 'Disabled' })).status).toBe(200);
    expect(h.running.emulator.kms.firehoseUsability(key.Arn!)?.type).toBe('DISABLED_KMS_KEY');
    await admin('keys/state', { keyId: key.KeyId, state: 'Enabled' });
    await admin('keys/deny-firehose', { keyId: key.Arn });
    expect(h.running.emulator.kms.firehoseUsability(key.Arn!)?.type).toBe('KMS_ACCESS_DENIED');
    await admin('keys/deny-firehose', { keyId: key.Arn, deny: false });
    expect(h.running.emulator.kms.firehoseUsability(key.Arn!)).toBeUndefined();
  });

  it('admin path: adds latency to an operation', async () => {
    await admin('latency', { operation: 'ListDeliveryStreams', ms: 150 });
    const began = performance.now();
    await h.firehose.send(new ListDeliveryStreamsCommand({}));
    // A lower bound only: the injected delay must have been served.
    expect(performance.now() - began).toBeGreaterThanOrEqual(140);
  });

  it('admin path: advances the manual clock, and answers bad admin requests with a clear 4xx', async () => {
    await start();
    expect((await admin('clock/advance', { ms: 1_000 })).status).toBe(200);
    expect((await describeEncryption()).Status).toBe('ENABLED');

    expect(await admin('faults', { operation: 'X', count: 'two', error: { type: 'E' } })).toEqual({
      status: 400,
      body: { error: "'count' must be a number" },
    });
    expect((await admin('nothing-here', {})).status).toBe(404);
    expect((await admin('keys/state', { keyId: 'no-such-key', state: 'Disabled' })).status).toBe(400);
  });
});
