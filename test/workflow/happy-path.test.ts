import { describe, expect, it } from 'vitest';
import { ENCRYPTION_SETTLE_MS } from '../../functions/domain/firehose-facts.ts';
import { expectSchemaValid, useScenario } from '../support/local-account.ts';

describe('workflow: a new unencrypted DirectPut stream', () => {
  const s = useScenario();

  it('ends REMEDIATED with exactly one StartDeliveryStreamEncryption call', async () => {
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.status).toBe('SUCCEEDED');
    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1, attempts: 1 });
    expect(s.acceptedStarts('orders')).toBe(1);
    expect(s.account.emulator.emulator.firehose.stream('orders').encryption.status).toBe('ENABLED');
    expect(s.eventKinds()).toEqual(['remediationStarted', 'evaluated', 'remediationSucceeded']);
    expectSchemaValid(s.account.events.events);
    expect(await s.account.deps.states.get({ account: '123456789012', region: 'us-east-1', name: 'orders' })).toMatchObject({
      verdict: 'REMEDIATED',
      keyType: 'AWS_OWNED_CMK',
    });
  });

  it('publishes the outcome only after the 5-second settle time: every record written then is encrypted', async () => {
    await s.createStream('orders');
    const emulator = s.account.emulator.emulator;
    const encryptedWhenPublished: boolean[] = [];
    s.account.events.subscribe((event) => {
      if (event.detail.kind !== 'remediationSucceeded') return;
      // "It can take up to 5 seconds after the encryption status changes to ENABLED before all records ... are encrypted."
      void emulator.call('firehose', 'PutRecord', { DeliveryStreamName: 'orders', Record: { Data: 'eyJhIjoxfQ==' } }).then((out) => {
        encryptedWhenPublished.push(out.Encrypted as boolean);
      });
    });

    await s.remediate('orders');
    await new Promise((resolve) => setImmediate(resolve));

    const enabledAt =
      Date.parse(emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' })[0]!.time) + emulator.timings.enablingMs;
    const succeeded = s.account.events.ofKind('remediationSucceeded')[0]!;
    expect(succeeded.time - enabledAt).toBeGreaterThanOrEqual(ENCRYPTION_SETTLE_MS);
    expect(encryptedWhenPublished).toEqual([true]);
    expect(Date.parse((succeeded.detail as { protectedAt: string }).protectedAt)).toBeLessThanOrEqual(succeeded.time);
  });

  it('costs at most 13 state transitions, 5 Lambda invocations, 3 Describes, 1 ListTags and 1 Firehose write call', async () => {
    await s.createStream('orders');

    const report = await s.remediate('orders');

    expect(report.states).toEqual([
      'Inspect',
      'RouteAfterInspect',
      'Enable',
      'RouteAfterEnable',
      'WaitEnabling',
      'Check',
      'RouteAfterCheck',
      'WaitSettle',
      // The verdict stands on a Describe taken after the settle (DESIGN invariant 3).
      'Inspect',
      'RouteAfterInspect',
      'Conclude',
      'RouteAfterConclude',
      'Done',
    ]);
    expect(report.transitions).toBeLessThanOrEqual(13);
    expect(report.lambdaInvocationTotal).toBeLessThanOrEqual(5);
    expect(report.firehoseWriteCalls).toBe(1);
    expect(report).toMatchObject({
      transitions: 13,
      lambdaInvocationTotal: 5,
      firehoseCalls: { DescribeDeliveryStream: 3, ListTagsForDeliveryStream: 1, StartDeliveryStreamEncryption: 1 },
      // the lease (started here without the intake, the first Inspect takes it), reserve, confirm (request id),
      // the state before and after publishing (a retried Conclude publishes nothing twice), release
      dynamoWrites: 6,
      kmsCalls: 0,
      eventBridgeCalls: 2,
    });
  });

  it('encrypts with an approved customer managed key after checking it, for two KMS reads', async () => {
    const approved = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [approved] } });
    await s.createStream('payments');

    const report = await s.remediate('payments');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(s.account.emulator.emulator.firehose.stream('payments').encryption.key).toEqual({
      keyType: 'CUSTOMER_MANAGED_CMK',
      keyArn: approved,
    });
    expect(report.kmsCalls).toBe(2); // DescribeKey + GetKeyPolicy: the pre-flight
  });
});
