import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batches, EventBridgePublisher } from '../../../functions/adapters/eventbridge-publisher.ts';
import { EventPublishError } from '../../../functions/domain/errors.ts';
import { buildEvent, type GuardEvent } from '../../../functions/domain/events.ts';

// EventBridge partial failures cannot be produced by the local account: mocked at the adapter edge.
const stream = {
  account: '123456789012',
  region: 'us-east-1',
  name: 'orders',
  arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders',
};
const event = (i: number): GuardEvent =>
  buildEvent(
    'budgetLow',
    { stream: { ...stream, name: `s${i}` }, remainingOurs: 1, remainingTotal: 2, threshold: 5 },
    Date.UTC(2026, 10, 1),
    `exec-${i}`,
  );

describe('EventBridge publisher', () => {
  const eventBridge = mockClient(EventBridgeClient);
  let publisher: EventBridgePublisher;
  beforeEach(() => {
    eventBridge.reset();
    publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'us-east-1' }), { busName: 'compliance', sleep: async () => {} });
  });
  afterEach(() => eventBridge.reset());

  const sentEntries = (): PutEventsRequestEntry[][] => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);

  it('publishes in batches of at most 10 entries, each with source, detail-type, time, the stream as resource', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    await publisher.publish(Array.from({ length: 23 }, (_, i) => event(i)));

    expect(sentEntries().map((b) => b.length)).toEqual([10, 10, 3]);
    expect(sentEntries()[0]?.[0]).toMatchObject({
      EventBusName: 'compliance',
      Source: 'firehose-sse-guard',
      DetailType: 'Budget Low',
      Time: new Date(Date.UTC(2026, 10, 1)),
      Resources: ['arn:aws:firehose:us-east-1:123456789012:deliverystream/orders'],
    });
    expect(JSON.parse(sentEntries()[0]![0]!.Detail!)).toMatchObject({ version: '1', kind: 'budgetLow', correlationId: 'exec-0' });
  });

  it('sends again only the entries EventBridge refused (FailedEntryCount)', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'x' },
          { EventId: 'c' },
          { ErrorCode: 'ThrottlingException' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [] });

    await publisher.publish([0, 1, 2, 3].map(event));

    expect(sentEntries().map((b) => b.map((e) => (JSON.parse(e.Detail!) as { correlationId: string }).correlationId))).toEqual([
      ['exec-0', 'exec-1', 'exec-2', 'exec-3'],
      ['exec-1', 'exec-3'],
    ]);
  });

  it('throws EventPublishError naming what was never accepted, after every attempt', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });
    const error = await publisher.publish([event(0)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failedEntries).toEqual([
      { detailType: 'Budget Low', errorCode: 'AccessDeniedException', errorMessage: 'no' },
    ]);
    expect(sentEntries()).toHaveLength(4);
  });

  it('treats a failed request as every entry of it failing, and retries them', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }))
      .resolves({ FailedEntryCount: 0, Entries: [] });
    await publisher.publish([event(0), event(1)]);
    expect(sentEntries().map((b) => b.length)).toEqual([2, 2]);
  });

  it('refuses an entry over 256 KB without sending anything', async () => {
    const huge = buildEvent(
      'driftDetected',
      { stream, eventName: 'StopDeliveryStreamEncryption', actor: 'x'.repeat(300_000), calledAt: '2026-11-01T00:00:00Z' },
      0,
      'c',
    );
    await expect(publisher.publish([huge])).rejects.toThrow(/exceed the 256 KB/);
    expect(sentEntries()).toHaveLength(0);
  });

  it('splits batches by size as well as by count', () => {
    const entry = (kb: number): PutEventsRequestEntry => ({ Source: 's', DetailType: 'd', Detail: 'x'.repeat(kb * 1024) });
    expect(batches([entry(100), entry(100), entry(100), entry(10)]).map((b) => b.length)).toEqual([2, 2]);
  });
});
