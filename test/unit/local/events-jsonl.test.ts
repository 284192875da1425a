import { PutEventsCommand, EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../functions/adapters/eventbridge-publisher.ts';
import { buildEvent } from '../../../functions/domain/events.ts';
import { eventsJsonl, parseEventsJsonl } from '../../../local/report-html.ts';
import { AT, EXAMPLE_DETAILS } from '../../support/schemas.ts';

/**
 * Issue 15: "The local events carry the same envelope as the bus." An EventBridge event at a rule's
 * target has version, id, detail-type, source, account, time, region, resources and detail; the
 * publisher sets Source, DetailType, Detail, Time and Resources, the bus the rest.
 */
describe('events.jsonl: the bus envelope', () => {
  const events = [
    buildEvent('remediationStarted', EXAMPLE_DETAILS.remediationStarted, AT, 'exec-1'),
    buildEvent('complianceSnapshot', EXAMPLE_DETAILS.complianceSnapshot, AT + 1_000, 'sweep-1'),
  ];

  it("carries every field of the bus's envelope, with what the deployed publisher puts in each", async () => {
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    await new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), { busName: 'bus' }).publish(events);
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries as PutEventsRequestEntry[];
    eventBridge.restore();

    const lines = eventsJsonl(events, { account: '111122223333', region: 'eu-west-1' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l))).toEqual(
      events.map(() => ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']),
    );
    lines.forEach((line, i) => {
      const entry = entries[i] as PutEventsRequestEntry;
      expect(line).toMatchObject({
        version: '0',
        source: entry.Source,
        'detail-type': entry.DetailType,
        time: (entry.Time as Date).toISOString(),
        account: '111122223333',
        region: 'eu-west-1',
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail as string) as unknown,
      });
      expect(line.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    });
    expect(lines[0]?.resources).toEqual([EXAMPLE_DETAILS.remediationStarted.stream.arn]);
    expect(lines[1]?.resources).toEqual([]);
  });

  it('gives the same ids for the same events (a rerun writes the same file), and reads back', () => {
    expect(eventsJsonl(events)).toBe(eventsJsonl(events));
    expect(new Set(eventsJsonl(events).match(/"id":"[^"]+"/g)).size).toBe(2);
    expect(parseEventsJsonl(eventsJsonl(events))).toEqual(events);
  });
});
