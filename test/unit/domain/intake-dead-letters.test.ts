import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_BODY_BYTES, deadLetterMessage, SqsDeadLetters } from '../../../functions/adapters/sqs-dead-letters.ts';
import { MAX_REASON_CHARS } from '../../../functions/domain/intake/intake-event.ts';
import { LocalDeadLetters } from '../../../local/local-starter.ts';

/** "SQS message bodies and attributes together are limited to 256 KiB." */
const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
const AT = Date.UTC(2026, 10, 1);
const hugeName = 'n'.repeat(200 * 1024);
const stopOn = (name: string) => ({
  source: 'aws.firehose',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: {
    eventName: 'StopDeliveryStreamEncryption',
    eventID: 'e-1',
    eventTime: '2026-11-01T00:00:00Z',
    recipientAccountId: '123456789012',
    awsRegion: 'us-east-1',
    requestParameters: { deliveryStreamName: name },
  },
});

describe('dead letters within SQS limits (issue 11, #14: "A dead letter can exceed SQS\'s 256 KB")', () => {
  it('keeps a small event whole, with its reason and when it was received', () => {
    const { letter, body, bytes } = deadLetterMessage(stopOn('no spaces'), 'invalid Firehose stream name "no spaces"', AT);
    expect(letter).toEqual({
      reason: 'invalid Firehose stream name "no spaces"',
      receivedAt: '2026-11-01T00:00:00.000Z',
      event: stopOn('no spaces'),
    });
    expect(JSON.parse(body)).toEqual(letter);
    expect(bytes).toBe(Buffer.byteLength(body));
  });

  it('sends a truncated copy of a 200 KB event, with its size and SHA-256, under the bound', () => {
    const event = stopOn(hugeName);
    const text = JSON.stringify(event);
    const { letter, body, bytes } = deadLetterMessage(event, `invalid Firehose stream name ${JSON.stringify(hugeName)}`, AT);

    expect(bytes).toBeLessThanOrEqual(DEAD_LETTER_MAX_BODY_BYTES);
    expect(bytes).toBeGreaterThan(DEAD_LETTER_MAX_BODY_BYTES - 64);
    expect(JSON.parse(body)).toEqual({
      reason: expect.stringMatching(/^invalid Firehose stream name "n{99}…" \(204802 characters\)$/),
      receivedAt: '2026-11-01T00:00:00.000Z',
      eventTruncated: true,
      eventBytes: Buffer.byteLength(text),
      eventSha256: createHash('sha256').update(text).digest('hex'),
      eventHead: text.slice(0, (letter as { eventHead: string }).eventHead.length),
    });
  });

  it('measures bytes, not characters: an event of multi-byte and escaped characters stays under the bound too', () => {
    for (const filler of ['€', '"', '\u0001', '😀']) {
      const { bytes, body } = deadLetterMessage({ detail: { note: filler.repeat(150_000) } }, 'too big', AT);
      expect(bytes, JSON.stringify(filler)).toBeLessThanOrEqual(DEAD_LETTER_MAX_BODY_BYTES);
      expect(Buffer.byteLength(body)).toBe(bytes);
    }
  });

  it('cuts the reason to MAX_REASON_CHARS and writes only characters SQS accepts', () => {
    const { letter, body } = deadLetterMessage({ name: 'a\uFFFEb' }, `bad ${'x'.repeat(5_000)} \uFFFF`, AT);
    expect(letter.reason.length).toBe(MAX_REASON_CHARS);
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(body)).toMatchObject({ event: { name: 'a\uFFFEb' } });
  });

  describe('the SQS queue', () => {
    const sqs = mockClient(SQSClient);
    afterEach(() => sqs.reset());

    it("sends a 200 KB stream name's event as one message under 256 KiB, body and attributes together", async () => {
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
      const queue = new SqsDeadLetters(new SQSClient({ region: 'us-east-1' }), 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq', {
        now: () => AT,
      });
      await queue.send(stopOn(hugeName), `invalid Firehose stream name ${JSON.stringify(hugeName)}`);

      const [call] = sqs.commandCalls(SendMessageCommand);
      const input = call!.args[0].input;
      const attributes = Object.entries(input.MessageAttributes ?? {}).reduce(
        (sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? ''),
        0,
      );
      expect(Buffer.byteLength(input.MessageBody!) + attributes).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
      expect(JSON.parse(input.MessageBody!)).toMatchObject({ eventTruncated: true, receivedAt: '2026-11-01T00:00:00.000Z' });
      expect(input.MessageAttributes?.reason?.StringValue?.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    });
  });

  it('the local queue keeps the same letter and its size (one rule for both queues)', async () => {
    const local = new LocalDeadLetters({ now: () => AT });
    const reason = `invalid Firehose stream name ${JSON.stringify(hugeName)}`;
    await local.send(stopOn(hugeName), reason);
    const { letter, bytes } = deadLetterMessage(stopOn(hugeName), reason, AT);
    expect(local.letters).toEqual([{ ...letter, bytes }]);
  });
});
