import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { boundReason } from '../domain/intake/intake-event.ts';
import type { Clock, DeadLetterQueue } from '../domain/ports.ts';

/**
 * A dead letter's body stays under this many bytes. SQS refuses a message over 256 KiB, body and
 * attributes together; the `reason` attribute (at most 1,024 characters) fits in what is left.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const DEAD_LETTER_MAX_BODY_BYTES = 200 * 1024;

/** What a dead letter says: why, when, and the event whole, or (when it would not fit) its start, size and digest. */
export type DeadLetter = { reason: string; receivedAt: string } & (
  | { event: unknown }
  | {
      eventTruncated: true;
      /** UTF-8 bytes of the event's JSON. */
      eventBytes: number;
      /** SHA-256 (hex) of the event's JSON, to match the letter with a copy of the event found elsewhere. */
      eventSha256: string;
      /** The start of the event's JSON, as much as fits. */
      eventHead: string;
    }
);

/** SQS accepts only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF; JSON escapes all others but U+FFFE and U+FFFF. */
const toSqsJson = (json: string): string => json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
const toSqsText = (text: string): string => text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');

/**
 * The dead letter for an event that the intake could not use, within SQS's limits: the reason
 * bounded (boundReason), the body at most DEAD_LETTER_MAX_BODY_BYTES. The SQS queue and the local
 * one both build their letters here, so that the local account keeps the same bounds.
 *
 * @example
 * const { body, letter } = deadLetterMessage(event, 'event: detail.eventTime ... ahead of the intake\'s clock', clock.now());
 */
export function deadLetterMessage(event: unknown, reason: string, receivedAt: number): { letter: DeadLetter; body: string; bytes: number } {
  const common = { reason: toSqsText(boundReason(reason)), receivedAt: new Date(receivedAt).toISOString() };
  const text = JSON.stringify(event) ?? 'null';
  const whole: DeadLetter = { ...common, event: event ?? null };
  const body = toSqsJson(JSON.stringify(whole));
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes <= DEAD_LETTER_MAX_BODY_BYTES) return { letter: whole, body, bytes };

  const eventBytes = Buffer.byteLength(text, 'utf8');
  const eventSha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  const truncated = (chars: number) => {
    const letter: DeadLetter = { ...common, eventTruncated: true, eventBytes, eventSha256, eventHead: text.slice(0, chars) };
    const json = toSqsJson(JSON.stringify(letter));
    return { letter, body: json, bytes: Buffer.byteLength(json, 'utf8') };
  };
  // Escaping and multi-byte characters make the head's size in the body uneven: search the longest that fits.
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (truncated(middle).bytes <= DEAD_LETTER_MAX_BODY_BYTES) low = middle;
    else high = middle - 1;
  }
  return truncated(low);
}

/**
 * Dead letters to an SQS queue: the event as received (or its bounded stand-in) and why it could not
 * be processed, in one message within SQS's size limit.
 *
 * IAM: sqs:SendMessage on the dead-letter queue.
 */
export class SqsDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  async send(event: unknown, reason: string): Promise<void> {
    const { body, letter } = deadLetterMessage(event, reason, this.clock.now());
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: letter.reason } },
      }),
    );
  }
}
