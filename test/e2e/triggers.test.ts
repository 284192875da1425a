import { StopDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CONFIG_ITEM_IGNORED } from '../../functions/domain/intake/intake.ts';
import { LocalEventBus } from '../../local/event-bus.ts';
import { ENCRYPTION_CALL_WINDOW_MS, ENCRYPTION_CALLS_PER_WINDOW } from '../../functions/domain/firehose-facts.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { expectSchemaValid, useScenario } from '../support/local-account.ts';

const ref: StreamRef = { account: '123456789012', region: 'us-east-1', name: 'orders' };

describe('end to end on the local account: CloudTrail → bus → intake → workflow → events', () => {
  const s = useScenario({ triggers: true });

  const cloudTrail = () => s.account.emulator.emulator.cloudTrail;

  it('a new unencrypted DirectPut stream is remediated from its CreateDeliveryStream event alone', async () => {
    await s.createStream('orders');
    await s.account.drain();

    expect(s.account.starter.reports.map((r) => r.output)).toEqual([expect.objectContaining({ status: 'REMEDIATED' })]);
    expect(s.eventKinds()).toEqual(['remediationStarted', 'evaluated', 'remediationSucceeded']);
    expect(s.account.events.ofKind('evaluated')[0]?.detail).toMatchObject({ trigger: 'stream-created' });
    expectSchemaValid(s.account.events.events);
  });

  it('100 duplicate deliveries of the event give one execution and one Start call', async () => {
    await s.createStream('orders');
    const created = cloudTrail().events({ eventName: 'CreateDeliveryStream' })[0]!;
    for (let i = 0; i < 100; i += 1) s.account.bus.put(structuredClone(created));
    await s.account.drain();

    expect(s.account.starter.started).toBe(1);
    expect(s.acceptedStarts('orders')).toBe(1);
    expect(s.account.bus.failed).toEqual([]);
  });

  it("the remediator's own Start call triggers nothing (loop guard), but is in the ledger once", async () => {
    await s.createStream('orders');
    await s.account.drain();
    const ownStart = cloudTrail().events({ eventName: 'StartDeliveryStreamEncryption' });

    expect(ownStart).toHaveLength(1);
    expect(ownStart[0]!.detail.userIdentity).toMatchObject({
      sessionContext: { sessionIssuer: { arn: expect.stringContaining('firehose-sse-guard-remediator') } },
    });
    expect(await s.account.intake(ownStart[0])).toMatchObject({ action: 'own-call', recorded: false });
    expect(s.account.starter.started).toBe(1);
    const calls = await s.account.deps.ledger.calls(ref, s.account.clock.now());
    expect(calls).toEqual([expect.objectContaining({ by: 'remediator', requestId: ownStart[0]!.detail.requestID })]);
  });

  it("a Kinesis-sourced stream's creation starts no workflow", async () => {
    await s.createStream('mirror', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
        RoleARN: 'arn:aws:iam::123456789012:role/r',
      },
    });
    await s.account.drain();
    expect(s.account.starter.started).toBe(0);
  });

  it('a malformed event is dead-lettered with its reason, once, without retries', async () => {
    const bad = {
      source: 'aws.firehose',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventSource: 'firehose.amazonaws.com',
        eventName: 'CreateDeliveryStream',
        requestParameters: { deliveryStreamName: 'no spaces allowed' },
      },
    };
    s.account.bus.put(bad);
    await s.account.drain();
    expect(s.account.deadLetters.letters).toEqual([
      expect.objectContaining({ event: bad, reason: expect.stringContaining('invalid account id') }),
    ]);
    expect(s.account.starter.started).toBe(0);
  });

  it('deleting a stream forgets its state', async () => {
    await s.createStream('orders');
    await s.account.drain();
    expect(await s.account.deps.states.get(ref)).toMatchObject({ verdict: 'REMEDIATED' });
    s.account.clock.advance(60_000);
    await s.account.emulator.emulator.call(
      'firehose',
      'DeleteDeliveryStream',
      { DeliveryStreamName: 'orders' },
      { accessKeyId: 'AKIAPERSON' },
    );
    await s.account.drain();
    expect(await s.account.deps.states.get(ref)).toBeUndefined();
  });

  const config = (complianceType: string, configRuleName = 'kinesis-firehose-delivery-stream-encrypted') => ({
    id: `config-${configRuleName}-${complianceType}`,
    source: 'aws.config',
    'detail-type': 'Config Rules Compliance Change',
    time: new Date(s.account.clock.now()).toISOString(),
    detail: {
      messageType: 'ComplianceChangeNotification',
      resourceType: 'AWS::KinesisFirehose::DeliveryStream',
      resourceId: 'orders',
      awsAccountId: '123456789012',
      awsRegion: 'us-east-1',
      configRuleName,
      newEvaluationResult: { complianceType },
    },
  });

  it('an AWS Config NON_COMPLIANT change starts a workflow; a COMPLIANT one does not', async () => {
    await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'missing' })).catch(() => undefined);
    s.account.emulator.emulator.firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: 'orders',
      ExtendedS3DestinationConfiguration: {},
    });
    s.account.clock.advance(60_000);
    s.account.bus.put(config('COMPLIANT'));
    await s.account.drain();
    expect(s.account.starter.started).toBe(0);
    s.account.bus.put(config('NON_COMPLIANT'));
    await s.account.drain();
    expect(s.account.starter.reports.map((r) => r.output)).toEqual([expect.objectContaining({ status: 'REMEDIATED' })]);
  });

  it('#7 "any rule that reports a stream NON_COMPLIANT starts a workflow": compliance changes count only for the managed rule\'s names', async () => {
    s.account.emulator.emulator.firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: 'orders',
      ExtendedS3DestinationConfiguration: {},
    });
    const counted = [
      'kinesis-firehose-delivery-stream-encrypted',
      'kinesis-firehose-delivery-stream-encrypted-conformance-pack-x1y2z3',
      'securityhub-kinesis-firehose-delivery-stream-encrypted-a1b2c3',
    ];
    for (const rule of counted) expect(s.account.bus.route(config('NON_COMPLIANT', rule)), rule).toEqual(['configComplianceChange']);
    for (const rule of ['required-tags', 'firehose-encrypted', 'my-kinesis-firehose-delivery-stream-encrypted']) {
      expect(s.account.bus.route(config('NON_COMPLIANT', rule)), rule).toEqual([]);
      s.account.bus.put(config('NON_COMPLIANT', rule));
    }
    await s.account.drain();
    expect(s.account.starter.started).toBe(0);
  });

  it('#7 "Config item changes that follow our own calls start nothing": a configuration item names no actor, so none starts a workflow', async () => {
    await s.createStream('orders');
    await s.account.drain();
    const startedBefore = s.account.starter.started;
    // What Config records after our own Start: the stream, ENABLING, and no principal anywhere.
    const item = {
      id: 'config-item-1',
      source: 'aws.config',
      'detail-type': 'Config Configuration Item Change',
      time: new Date(s.account.clock.now()).toISOString(),
      detail: {
        messageType: 'ConfigurationItemChangeNotification',
        configurationItem: {
          resourceType: 'AWS::KinesisFirehose::DeliveryStream',
          resourceName: 'orders',
          awsAccountId: '123456789012',
          awsRegion: 'us-east-1',
          configurationItemStatus: 'OK',
          configuration: { deliveryStreamEncryptionConfiguration: { status: 'ENABLING', keyType: 'AWS_OWNED_CMK' } },
        },
      },
    };
    expect(s.account.bus.route(item)).toEqual(['configItemChange']);
    expect(await s.account.intake(item)).toEqual({ action: 'ignored', reason: CONFIG_ITEM_IGNORED });
    s.account.bus.put(item);
    await s.account.drain();
    expect(s.account.starter.started).toBe(startedBefore);
  });
});

describe('the Config rule names a deployment adds (parameter configRuleNames)', () => {
  const build = createRequire(import.meta.url)('../../infra/trigger-patterns.cjs') as {
    configComplianceChange: (o: { resolveVariable: (v: string) => Promise<unknown> }) => Promise<unknown>;
  };
  const file: unknown = JSON.parse(
    readFileSync(new URL('../../infra/event-patterns/config-compliance-change.json', import.meta.url), 'utf8'),
  );
  const change = (configRuleName: string) => ({
    source: 'aws.config',
    'detail-type': 'Config Rules Compliance Change',
    detail: {
      messageType: 'ComplianceChangeNotification',
      resourceType: 'AWS::KinesisFirehose::DeliveryStream',
      resourceId: 'orders',
      configRuleName,
      newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
    },
  });

  it('deploys the infra/ pattern unchanged by default, and adds exactly the names given', async () => {
    expect(await build.configComplianceChange({ resolveVariable: async () => '' })).toEqual(file);
    const bus = new LocalEventBus();
    bus.addRule(
      'configComplianceChange',
      await build.configComplianceChange({ resolveVariable: async () => ' org-firehose-sse , other-team-rule' }),
      async () => undefined,
    );
    expect(
      ['org-firehose-sse', 'other-team-rule', 'kinesis-firehose-delivery-stream-encrypted'].map((rule) => bus.route(change(rule))),
    ).toEqual([['configComplianceChange'], ['configComplianceChange'], ['configComplianceChange']]);
    expect(bus.route(change('org-firehose'))).toEqual([]);
  });
});

describe('a person stopping encryption on one stream 30 times in a day', () => {
  const s = useScenario({ triggers: true });

  it('is re-enabled while the budget allows, then waits for it or is deferred with events; the stream never passes 25 calls in 24 hours', async () => {
    await s.createStream('orders');
    await s.account.drain();
    const refused: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      s.account.clock.advance(ENCRYPTION_CALL_WINDOW_MS / 30);
      await s.person
        .send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }))
        .catch((e: Error) => refused.push(e.name));
      await s.account.drain();
    }

    const trail = s.account.emulator.emulator.cloudTrail
      .events()
      .filter((e) => ['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption'].includes(e.detail.eventName) && !e.detail.errorCode)
      .map((e) => ({ at: Date.parse(e.time), by: (e.detail.userIdentity as { type: string }).type }));
    const busiest = Math.max(...trail.map((c) => trail.filter((d) => d.at > c.at - ENCRYPTION_CALL_WINDOW_MS && d.at <= c.at).length));
    // The budget is used to the last call, and never past it, in any 24 hours.
    expect(busiest).toBe(ENCRYPTION_CALLS_PER_WINDOW);

    const personStops = trail.filter((c) => c.by === 'IAMUser').length;
    const ourStarts = trail.filter((c) => c.by === 'AssumedRole').length;
    expect(ourStarts).toBeGreaterThanOrEqual(12);
    expect(refused.every((name) => name === 'LimitExceededException')).toBe(true);
    expect(refused.length).toBe(30 - personStops);
    expect(s.account.events.ofKind('driftDetected')).toHaveLength(personStops);
    // Past the budget the workflow waits for the oldest call to age out (when that is within the
    // horizon) or defers, with an event: it never calls Firehose past the budget.
    const heldBack = s.account.starter.reports.filter(
      (r) => r.states.includes('WaitBudget') || (r.output as { status?: string } | undefined)?.status === 'DEFERRED',
    );
    expect(heldBack.length).toBeGreaterThan(0);
    for (const deferred of s.account.events.ofKind('remediationDeferred'))
      expect(deferred.detail).toMatchObject({ reason: 'BUDGET_SPENT', nextAttemptAt: expect.any(String) });
    // The ledger holds every person's Stop of the last 24 hours (older ones have aged out of it).
    const now = s.account.clock.now();
    const ledger = await s.account.deps.ledger.calls(ref, now);
    const recentStops = trail.filter((c) => c.by === 'IAMUser' && c.at > now - ENCRYPTION_CALL_WINDOW_MS).length;
    expect(ledger.filter((c) => c.by === 'other')).toHaveLength(recentStops);
    expectSchemaValid(s.account.events.events);
  });
});
