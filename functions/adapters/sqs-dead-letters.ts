import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterQueue } from '../domain/ports.ts';

/** SQS message bodies are limited to 256 KB; an event larger than that is cut, the reason kept whole. */
const MAX_EVENT_CHARS = 200_000;

/**
 * Dead letters to an SQS queue: the event as received and why it could not be processed.
 *
 * IAM: sqs:SendMessage on the dead-letter queue.
 */
export class SqsDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: unknown, reason: string): Promise<void> {
    const text = JSON.stringify(event) ?? 'undefined';
    const body = { reason, receivedAt: new Date().toISOString(), event: text.length > MAX_EVENT_CHARS ? `${text.slice(0, MAX_EVENT_CHARS)}…` : text };
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body), MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } } }),
    );
  }
}
