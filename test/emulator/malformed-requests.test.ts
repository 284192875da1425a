import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/emulator-harness.ts';

/** Raw AWS JSON 1.1 requests, the way a broken client would send them. */
describe('emulator: malformed requests get the error AWS would give, never a crash or a 500', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const post = async (target: string | undefined, body: string) => {
    const response = await fetch(h.running.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}) },
      body,
    });
    return { status: response.status, body: (await response.json()) as { __type: string; message: string } };
  };

  it.each([
    ['invalid JSON', 'Firehose_20150804.DescribeDeliveryStream', '{"DeliveryStreamName": ', 'SerializationException'],
    ['a JSON array', 'Firehose_20150804.DescribeDeliveryStream', '[]', 'SerializationException'],
    ['a number where a string belongs', 'Firehose_20150804.DescribeDeliveryStream', '{"DeliveryStreamName": 7}', 'SerializationException'],
    ['a string where an integer belongs', 'Firehose_20150804.ListDeliveryStreams', '{"Limit": "10"}', 'SerializationException'],
    [
      'a blob that is not base64',
      'Firehose_20150804.PutRecord',
      '{"DeliveryStreamName":"s","Record":{"Data":"%%%"}}',
      'SerializationException',
    ],
    ['a missing required member', 'Firehose_20150804.StartDeliveryStreamEncryption', '{}', 'ValidationException'],
    [
      'a missing nested required member',
      'Firehose_20150804.StartDeliveryStreamEncryption',
      '{"DeliveryStreamName":"s","DeliveryStreamEncryptionConfigurationInput":{}}',
      'ValidationException',
    ],
    [
      'an enum value the model does not have',
      'Firehose_20150804.StartDeliveryStreamEncryption',
      '{"DeliveryStreamName":"s","DeliveryStreamEncryptionConfigurationInput":{"KeyType":"AES"}}',
      'ValidationException',
    ],
    ['an unknown operation', 'Firehose_20150804.DeleteEverything', '{}', 'UnknownOperationException'],
    ['an unknown service prefix', 'Kinesis_20131202.ListStreams', '{}', 'UnknownOperationException'],
    ['no X-Amz-Target at all', undefined, '{}', 'UnknownOperationException'],
  ])('%s → %s', async (_case, target, body, type) => {
    const answer = await post(target, body);
    expect(answer.status).toBe(400);
    expect(answer.body.__type).toBe(type);
    expect(answer.body.message.length).toBeGreaterThan(0);
  });

  it('names every violated constraint in the ValidationException message', async () => {
    const answer = await post('Firehose_20150804.ListDeliveryStreams', '{"Limit": 0, "ExclusiveStartDeliveryStreamName": "bad name"}');
    expect(answer.body.message).toMatch(/^2 validation errors detected: /);
    expect(answer.body.message).toContain(
      "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(answer.body.message).toContain(
      "at 'exclusiveStartDeliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
  });

  it('keeps serving after a storm of bad requests, and records the failed calls with errorCode', async () => {
    const bad = Array.from({ length: 50 }, (_, i) =>
      post('Firehose_20150804.DescribeDeliveryStream', i % 2 ? '{' : '{"DeliveryStreamName":1}'),
    );
    expect((await Promise.all(bad)).every((a) => a.status === 400)).toBe(true);

    const good = await post('Firehose_20150804.ListDeliveryStreams', '{}');
    expect(good).toEqual({ status: 200, body: { DeliveryStreamNames: [], HasMoreDeliveryStreams: false } });
    const recorded = h.running.emulator.cloudTrail.events({ eventName: 'DescribeDeliveryStream' });
    expect(recorded).toHaveLength(50);
    expect(new Set(recorded.map((e) => e.detail.errorCode))).toEqual(new Set(['SerializationException']));
  });

  it('answers a GET with a JSON error instead of hanging or crashing', async () => {
    const response = await fetch(h.running.endpoint);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('refuses to listen on a non-loopback address', async () => {
    const { serveEmulator } = await import('../../local/emulator/index.ts');
    await expect(serveEmulator({ host: '0.0.0.0' })).rejects.toThrow(/only loopback hosts/);
  });
});
