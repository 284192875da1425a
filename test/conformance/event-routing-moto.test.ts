import { readdirSync, readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../local/event-bus.ts';
import { CORPUS_EVENTS, CORPUS_PATTERNS, type CorpusEvent } from '../support/pattern-corpus.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

const credentials = { accessKeyId: 'AKIALOCAL', secretAccessKey: 'local' };
const triggerPatterns = readdirSync(new URL('../../infra/event-patterns/', import.meta.url)).map((file) => ({
  name: `infra-${file.replace(/\.json$/, '')}`,
  pattern: JSON.parse(readFileSync(new URL(`../../infra/event-patterns/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>,
}));
const allPatterns = [...CORPUS_PATTERNS.map(({ name, pattern }) => ({ name, pattern })), ...triggerPatterns];

/** The corpus id rides in the detail, where no pattern looks, so that a delivered event can be told. */
const tagged = (e: CorpusEvent) => ({ ...e, detail: { ...e.detail, corpusId: e.id } });

/**
 * moto_server as the second opinion on EventBridge routing: each pattern becomes a rule on moto's
 * default bus with an SQS queue as target (moto's TestEventPattern is a no-op), every event goes
 * through PutEvents, and the events each queue receives must be the ones the local bus routes.
 */
describe('conformance: the local bus routes like moto_server', () => {
  let moto: MotoServer;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  const received = new Map<string, string[]>();

  beforeAll(async () => {
    moto = await startMoto();
    const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials };
    events = new EventBridgeClient(config);
    sqs = new SQSClient(config);
    const queues = new Map<string, string>();
    for (const { name, pattern } of allPatterns) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `route-${name}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }));
      await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn! }] }));
      queues.set(name, QueueUrl!);
    }
    const entries = CORPUS_EVENTS.map(tagged).map((e) => ({
      Source: e.source,
      DetailType: e['detail-type'],
      Detail: JSON.stringify(e.detail),
    }));
    for (let i = 0; i < entries.length; i += 10) {
      const result = await events.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
      expect(result.FailedEntryCount ?? 0).toBe(0);
    }
    for (const [name, url] of queues) {
      const ids: string[] = [];
      for (;;) {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        if (!Messages?.length) break;
        for (const m of Messages) ids.push((JSON.parse(m.Body!) as { detail: { corpusId: string } }).detail.corpusId);
      }
      received.set(name, ids.sort());
    }
  });
  afterAll(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.close();
  });

  it.each(allPatterns.map((p) => [p.name, p] as const))('%s', (_name, { name, pattern }) => {
    const bus = new LocalEventBus();
    bus.addRule(name, pattern, async () => undefined);
    const local = CORPUS_EVENTS.map(tagged)
      .filter((e) => bus.route(e).length > 0)
      .map((e) => e.id)
      .sort();
    expect(received.get(name)).toEqual(local);
  });

  it('routes the corpus as the EventBridge documentation says', () => {
    for (const { name, matches } of CORPUS_PATTERNS) expect(received.get(name), name).toEqual([...matches].sort());
  });
});
