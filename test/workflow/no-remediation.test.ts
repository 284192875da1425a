import { StartDeliveryStreamEncryptionCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { expectSchemaValid, useScenario } from '../support/local-account.ts';

const KINESIS = {
  DeliveryStreamType: 'KinesisStreamAsSource' as const,
  KinesisStreamSourceConfiguration: {
    KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/src',
    RoleARN: 'arn:aws:iam::123456789012:role/r',
  },
};

describe('workflow: streams that need no Start call', () => {
  const s = useScenario();

  const evaluated = () => s.account.events.ofKind('evaluated').map((e) => e.detail as unknown as { verdict: string; reason?: string });

  it('an already encrypted stream is COMPLIANT (at once when its last change is older than the 5-second settle)', async () => {
    await s.createStream('audit-trail', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    s.account.clock.advance(60_000);
    const report = await s.remediate('audit-trail', 'sweep');
    expect(report.output).toMatchObject({ status: 'COMPLIANT', callsSpent: 0 });
    expect(report.firehoseCalls.StartDeliveryStreamEncryption).toBeUndefined();
    expect(evaluated()).toEqual([
      {
        verdict: 'COMPLIANT',
        stream: expect.anything(),
        encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' },
        trigger: 'sweep',
        mode: 'enforce',
        evaluatedBy: 'workflow',
        version: '2',
        kind: 'evaluated',
        occurredAt: expect.any(String),
        correlationId: expect.any(String),
      },
    ]);
    expect(report.transitions).toBe(5);
  });

  it('a stream Describe dates as changed within the last 5 seconds is looked at again after the settle, then COMPLIANT', async () => {
    await s.createStream('fresh', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    const report = await s.remediate('fresh', 'sweep');
    expect(report.output).toMatchObject({ status: 'COMPLIANT', callsSpent: 0 });
    expect(report.states).toEqual([
      'Inspect',
      'RouteAfterInspect',
      'WaitSettle',
      'Inspect',
      'RouteAfterInspect',
      'Conclude',
      'RouteAfterConclude',
      'Done',
    ]);
  });

  it('a Kinesis-sourced stream is NOT_APPLICABLE ("SSE ... only if it\'s a delivery stream that uses DirectPut"), without reading its tags', async () => {
    await s.createStream('kinesis-mirror', KINESIS);
    const report = await s.remediate('kinesis-mirror');
    expect(report.output).toMatchObject({ status: 'NOT_APPLICABLE', reason: 'KinesisStreamAsSource' });
    expect(report.firehoseCalls).toEqual({ DescribeDeliveryStream: 1 });
  });

  it('an exempt stream (tag) is EXEMPT', async () => {
    await s.createStream('sandbox', { Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] });
    const report = await s.remediate('sandbox');
    expect(report.output).toMatchObject({ status: 'EXEMPT', reason: 'tag:sse-guard:exempt=true' });
    expect(s.acceptedStarts('sandbox')).toBe(0);
  });

  it('an exempt stream (name pattern) is EXEMPT', async () => {
    s.account.setPolicy({ exemptions: { namePatterns: ['tmp-*'] } });
    await s.createStream('tmp-scratch');
    expect((await s.remediate('tmp-scratch')).output).toMatchObject({ status: 'EXEMPT', reason: 'name:tmp-*' });
  });

  it('a stream deleted before the workflow looks is GONE, and its state expires within a day (kept that long for a retried Conclude)', async () => {
    const report = await s.remediate('never-existed');
    expect(report.output).toMatchObject({ status: 'GONE' });
    const state = await s.account.deps.states.get({ account: '123456789012', region: 'us-east-1', name: 'never-existed' });
    expect(state).toMatchObject({ verdict: 'GONE' });
    expect(state?.expiresAt).toBeLessThanOrEqual(Math.ceil((s.account.clock.now() + 86_400_000) / 1000));
    expectSchemaValid(s.account.events.events);
  });

  it('a stream deleted while ENABLING is GONE at the next poll, after its one Start call', async () => {
    await s.createStream('short-lived');
    const emulator = s.account.emulator.emulator;
    emulator.cloudTrail.subscribe((event) => {
      if (event.detail.eventName === 'StartDeliveryStreamEncryption' && !event.detail.errorCode) {
        // Deleted by a person right after Firehose accepted the remediator's Start: ACTIVE, encryption ENABLING.
        queueMicrotask(
          () =>
            void emulator.call('firehose', 'DeleteDeliveryStream', { DeliveryStreamName: 'short-lived' }, { accessKeyId: 'AKIAPERSON' }),
        );
      }
    });
    const report = await s.remediate('short-lived');
    expect(report.output).toMatchObject({ status: 'GONE', callsSpent: 1 });
    expect(s.acceptedStarts('short-lived')).toBe(1);
  });

  // Issue 15: "`Stream Evaluated` is the verdict at the time of evaluation, with current encryption": a remediated
  // stream's evaluation is COMPLIANT and ENABLED with its key, not the DISABLED it was found in.
  it("a remediated stream's Stream Evaluated is the workflow's last look: COMPLIANT, ENABLED, with the key", async () => {
    await s.createStream('orders');
    expect((await s.remediate('orders')).output).toMatchObject({ status: 'REMEDIATED' });
    expect(evaluated()).toMatchObject([
      { verdict: 'COMPLIANT', encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' }, evaluatedBy: 'workflow', version: '2' },
    ]);
  });

  it('in audit mode a non-compliant stream is reported DEFERRED (AUDIT_MODE), never remediated', async () => {
    s.account.setPolicy({ mode: 'audit' });
    await s.createStream('orders');
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'AUDIT_MODE', callsSpent: 0 });
    expect(s.acceptedStarts('orders')).toBe(0);
    expect(s.eventKinds()).toEqual(['evaluated', 'remediationDeferred']);
  });

  // Issue 14: "Two stages in one account or organization never both remediate a stream."
  it("where another stage holds the place's enforcement claim, this stage reports DEFERRED (AUDIT_MODE) and never starts", async () => {
    const asked: string[] = [];
    s.account.deps.claims = {
      heldByOther: async ({ account, region }) => {
        asked.push(`${account}/${region}`);
        return 'firehose-sse-guard-prod (central 999988887777)';
      },
    };
    try {
      await s.createStream('orders');
      const report = await s.remediate('orders');
      expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'AUDIT_MODE', callsSpent: 0 });
      expect(s.acceptedStarts('orders')).toBe(0);
      expect(asked).toEqual(['123456789012/us-east-1']);
      const deferred = s.account.events.ofKind('remediationDeferred')[0]?.detail as { details: string } | undefined;
      expect(deferred?.details).toMatch(/firehose-sse-guard-prod \(central 999988887777\) enforces in 123456789012\/us-east-1/);
    } finally {
      delete s.account.deps.claims;
    }
  });

  it('where this stage holds the claim (or nobody does), it remediates', async () => {
    s.account.deps.claims = { heldByOther: async () => undefined };
    try {
      await s.createStream('orders');
      expect((await s.remediate('orders')).output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    } finally {
      delete s.account.deps.claims;
    }
  });

  it('a stream someone else already fixed while the workflow waited is COMPLIANT, with no Start of ours', async () => {
    await s.createStream('orders');
    await s.person.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
    const report = await s.remediate('orders');
    expect(report.output).toMatchObject({ status: 'COMPLIANT', callsSpent: 0 });
    expect(report.states.filter((n) => n === 'WaitBusy')).toHaveLength(1);
    expect(s.acceptedStarts('orders')).toBe(1);
  });
});
