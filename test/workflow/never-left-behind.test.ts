import {
  PutRecordCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  TagDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { EventPublishError } from '../../functions/domain/errors.ts';
import type { GuardEvent } from '../../functions/domain/events.ts';
import { EXECUTION_TIMEOUT_SECONDS, LEASE_SECONDS } from '../../functions/domain/remediation/bounds.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import { expectSchemaValid, type Scenario, useScenarios } from '../support/local-account.ts';

/**
 * Issue "Never leave a stream behind": each case that broke the promise, as a named regression, on the
 * local account (the deployed ASL, the real handlers, the emulator; triggers through the local bus).
 */
const ref = (name: string) => ({ account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name });
const outcomes = (s: Scenario, name: string) =>
  s.account.events.events.filter(
    (e) =>
      (e.detail as { stream?: { name: string } }).stream?.name === name &&
      ['remediationSucceeded', 'remediationDeferred', 'remediationFailed'].includes(e.detail.kind),
  );
const verdicts = (s: Scenario, name: string) =>
  s.account.events.ofKind('evaluated').filter((e) => (e.detail as { stream: { name: string } }).stream.name === name);
const encryptedNow = async (s: Scenario, name: string) =>
  (await s.person.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: new TextEncoder().encode('x') } }))).Encrypted;

/** Runs `action` once, right after the n-th DescribeDeliveryStream of the remediator returns. */
function afterDescribe(s: Scenario, n: number, action: () => Promise<void>): void {
  const gateway = s.account.deps.firehose;
  const describe = gateway.describe.bind(gateway);
  let calls = 0;
  gateway.describe = async (r) => {
    const result = await describe(r);
    calls += 1;
    if (calls === n) await action();
    return result;
  };
}

/** Checks every REMEDIATED or COMPLIANT verdict against PutRecord's `Encrypted` at the moment it is published. */
function checkVerdictsWhenPublished(s: Scenario): { wrong: string[] } {
  const wrong: string[] = [];
  const publish = s.account.events.publish.bind(s.account.events);
  s.account.events.publish = async (events: readonly GuardEvent[]) => {
    for (const e of events) {
      const d = e.detail as { kind: string; verdict?: string; stream?: { name: string } };
      const claims = d.kind === 'remediationSucceeded' || (d.kind === 'evaluated' && d.verdict === 'COMPLIANT');
      if (claims && d.stream && !(await encryptedNow(s, d.stream.name)))
        wrong.push(`${d.kind} for ${d.stream.name} while records are written unencrypted`);
    }
    return publish(events);
  };
  return { wrong };
}

describe('never leave a stream behind (issue 11 regressions)', () => {
  const freshScenario = useScenarios();

  it('1. stranded lease: a Conclude that fails for good still gives the lease back (cleanup), and a later Stop is acted on', async () => {
    const s = await freshScenario({ triggers: true });
    const publish = s.account.events.publish.bind(s.account.events);
    let broken = true;
    s.account.events.publish = async (events) => {
      if (broken && events.some((e) => e.detail.kind !== 'driftDetected')) throw new EventPublishError('bus unavailable', []);
      return publish(events);
    };
    await s.createStream('orders');
    await s.account.drain();
    expect(s.account.starter.reports.at(-1)?.states.at(-1)).toBe('ConcludeFailed');
    // The cleanup gave the lease back and scheduled a retry, though publishing still failed.
    expect(await s.account.deps.leases.observe(ref('orders'), 'anyone', s.account.clock.now())).toEqual({ held: false, generation: 0 });
    expect(s.account.scheduler.pendingFor(ref('orders'))).toHaveLength(1);
    broken = false;
    await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    s.account.clock.advance(60_000);
    await s.account.drain();
    expect(outcomes(s, 'orders').at(-1)?.detail.kind).toBe('remediationSucceeded');
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });

  it('2. dropped trigger: a Stop during the settle wait is looked at before the verdict, and the stream ends encrypted', async () => {
    const s = await freshScenario({ triggers: true });
    const { wrong } = checkVerdictsWhenPublished(s);
    // Describe 1: Inspect; 2: Check sees ENABLED (the settle begins); the person stops SSE right then.
    afterDescribe(s, 2, async () => {
      await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    });
    await s.createStream('orders');
    await s.account.drain();
    expect(wrong).toEqual([]);
    expect(s.acceptedStarts('orders')).toBe(2);
    expect(outcomes(s, 'orders').map((e) => e.detail.kind)).toEqual(['remediationSucceeded']);
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });

  it('2b. a Stop between the last look and Conclude sends the workflow back to look (trigger generation on the lease)', async () => {
    const s = await freshScenario({ triggers: true });
    const { wrong } = checkVerdictsWhenPublished(s);
    // Right before the first Conclude (after the last Inspect), the person stops SSE; the intake notes it on the lease.
    let armed = true;
    const stops: Promise<unknown>[] = [];
    s.account.runner.intercept = (fn, when) => {
      if (!armed || fn !== 'conclude' || when !== 'before') return;
      armed = false;
      s.account.emulator.emulator.faults.reset();
      stops.push(
        s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' })).then(() => s.account.bus.drain()),
      );
    };
    const leases = s.account.deps.leases;
    const observe = leases.observe.bind(leases);
    leases.observe = async (...args) => {
      await Promise.all(stops); // Conclude looks at the lease once the Stop was taken in
      return observe(...args);
    };
    await s.createStream('orders');
    await s.account.drain();
    const report = s.account.starter.reports.find((r) => r.states.includes('RouteAfterConclude'));
    expect(report?.states.filter((st) => st === 'Conclude').length).toBeGreaterThanOrEqual(2);
    expect(wrong).toEqual([]);
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });

  it("3. the lease outlives the workflow: the intake takes it for LEASE_SECONDS, more than the state machine's timeout", async () => {
    const s = await freshScenario({ triggers: true });
    s.account.starter.start = async () => ({ started: true }); // keep the lease as the intake took it
    await s.createStream('orders');
    await s.account.bus.drain();
    const held = await s.account.deps.leases.observe(ref('orders'), 'anyone', s.account.clock.now() + EXECUTION_TIMEOUT_SECONDS * 1000);
    expect(held.held).toBe(false); // not ours: but it is still someone's, so a sweep cannot take it
    await expect(
      s.account.deps.leases.acquire(ref('orders'), 'sweep', s.account.clock.now() + EXECUTION_TIMEOUT_SECONDS * 1000, 1000),
    ).rejects.toThrow(/leased to/);
    expect(LEASE_SECONDS).toBeGreaterThan(EXECUTION_TIMEOUT_SECONDS);
  });

  it('4. a fresh look before every Start: a stream tagged exempt during the retry wait gets no second Start', async () => {
    const s = await freshScenario({ triggers: true });
    s.account.emulator.emulator.faults.failNextEnablement(1, {
      type: 'CREATE_KMS_GRANT_FAILED',
      details: 'credentials older than 6 hours',
    });
    // Describe 2 is Check's, which sees ENABLING_FAILED and waits before another attempt.
    afterDescribe(s, 2, async () => {
      await s.person.send(
        new TagDeliveryStreamCommand({ DeliveryStreamName: 'orders', Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] }),
      );
    });
    await s.createStream('orders');
    await s.account.drain();
    expect(s.acceptedStarts('orders')).toBe(1);
    expect(verdicts(s, 'orders').length).toBeGreaterThan(0);
    expect(s.account.starter.reports.at(-1)?.output).toMatchObject({ status: 'EXEMPT' });
  });

  it('5. a failed key change that keeps an accepted old key is COMPLIANT, with a "key change failed" event and no Start', async () => {
    const s = await freshScenario({ triggers: true });
    const approved = await s.createKey();
    const other = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [approved], fallbackToAwsOwned: false } });
    await s.createStream('orders', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: approved } });
    s.account.clock.advance(10_000);
    await s.account.drain();
    s.account.clock.advance(86_400_000);
    await s.kms.send(new DisableKeyCommand({ KeyId: other }));
    await s.person.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: other },
      }),
    );
    s.account.clock.advance(10_000);
    await s.account.drain();
    expect(s.account.events.ofKind('keyChangeFailed')).toHaveLength(1);
    expect(s.account.events.ofKind('keyChangeFailed')[0]?.detail).toMatchObject({
      key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: approved },
      failureType: 'DISABLED_KMS_KEY',
    });
    expect(s.account.starter.reports.at(-1)?.output).toMatchObject({ status: 'COMPLIANT', callsSpent: 0 });
    expect(await encryptedNow(s, 'orders')).toBe(true);
    expectSchemaValid(s.account.events.events);
  });

  it("6. COMPLIANT only after the settle: someone else's Start that just reached ENABLED waits 5 seconds and is looked at again", async () => {
    const s = await freshScenario({
      triggers: true,
      emulator: { timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0, deletingMs: 0 } },
    });
    s.account.setPolicy({ mode: 'audit' });
    await s.createStream('orders');
    await s.account.drain();
    s.account.setPolicy({});
    const { wrong } = checkVerdictsWhenPublished(s);
    const at: number[] = [];
    s.account.events.subscribe((e) => {
      if (e.detail.kind === 'evaluated') at.push(s.account.clock.now());
    });
    const started = s.account.clock.now();
    await s.person.send(
      new StartDeliveryStreamEncryptionCommand({
        DeliveryStreamName: 'orders',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      }),
    );
    await s.account.drain();
    expect(s.account.starter.reports.at(-1)?.output).toMatchObject({ status: 'COMPLIANT', callsSpent: 0 });
    expect(at.at(-1)! - started).toBeGreaterThanOrEqual(5_000);
    expect(wrong).toEqual([]);
  });

  it('7. a key whose failure Describe already shows is not paid for again, by any sweep, until the key is enabled again', async () => {
    const s = await freshScenario({ triggers: true });
    const key = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key], fallbackToAwsOwned: false } });
    await s.kms.send(new DisableKeyCommand({ KeyId: key }));
    await s.createStream('orders');
    await s.account.drain();
    const sweep = async () => {
      s.account.clock.advance(6 * 3_600_000);
      await s.remediate('orders', 'sweep');
    };
    await sweep();
    await sweep();
    expect(s.acceptedStarts('orders')).toBe(0);
    expect(await s.account.deps.keyFailures.list(ref('orders'))).toEqual([
      expect.objectContaining({ key, failureType: 'DISABLED_KMS_KEY', keyState: 'DISABLED_KMS_KEY' }),
    ]);
    await s.kms.send(new EnableKeyCommand({ KeyId: key }));
    await sweep();
    expect(s.acceptedStarts('orders')).toBe(1);
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });

  it('8. a budget deferral comes back by itself at the time it names', async () => {
    const s = await freshScenario({
      triggers: true,
      emulator: { timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0, deletingMs: 0 } },
    });
    s.account.setPolicy({ budget: { share: 1 } });
    await s.createStream('orders');
    await s.account.drain();
    // The remediator's one call is spent; the person stops SSE: the workflow defers (BUDGET_SPENT).
    await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    s.account.clock.advance(1_000);
    await s.account.drain();
    const deferred = outcomes(s, 'orders').at(-1);
    expect(deferred?.detail).toMatchObject({ kind: 'remediationDeferred', reason: 'BUDGET_SPENT' });
    const nextAttemptAt = Date.parse((deferred?.detail as { nextAttemptAt: string }).nextAttemptAt);
    expect(s.account.scheduler.pendingFor(ref('orders')).map((r) => r.at)).toEqual([nextAttemptAt]);
    s.account.clock.set(nextAttemptAt);
    await s.account.drain();
    expect(outcomes(s, 'orders').at(-1)?.detail.kind).toBe('remediationSucceeded');
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });

  it('9. keys per place: a us-east-1 stream gets the approved us-east-1 key, never an eu-west-1 one; with none and no fallback, FAILED and no Firehose call', async () => {
    const s = await freshScenario({ triggers: true });
    const local = await s.createKey();
    const elsewhere = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [elsewhere, local], fallbackToAwsOwned: false } });
    await s.createStream('orders');
    await s.account.drain();
    expect(s.account.starter.reports.at(-1)?.output).toMatchObject({ status: 'REMEDIATED' });
    expect(s.account.events.ofKind('remediationSucceeded')[0]?.detail).toMatchObject({
      key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: local },
    });

    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [elsewhere], fallbackToAwsOwned: false } });
    await s.createStream('clicks');
    await s.account.drain();
    expect(s.account.starter.reports.at(-1)?.output).toMatchObject({ status: 'FAILED', reason: 'CONFIGURATION' });
    expect(outcomes(s, 'clicks').at(-1)?.detail).toMatchObject({
      details: expect.stringContaining('no approved key in account 123456789012, region us-east-1'),
    });
    expect(s.acceptedStarts('clicks')).toBe(0);
    expect(
      s.account.emulator.emulator.cloudTrail
        .events({ eventName: 'StartDeliveryStreamEncryption' })
        .filter((e) => JSON.stringify(e.detail).includes('clicks')),
    ).toEqual([]);
  });

  it('11. an Inspect failure concludes FAILED with the workflow input, gives the lease back and schedules a retry', async () => {
    const s = await freshScenario({ triggers: true });
    s.account.emulator.emulator.faults.failNext('DescribeDeliveryStream', 1, { type: 'AccessDeniedException', message: 'not allowed' });
    await s.createStream('orders');
    await s.account.drain();
    const first = s.account.starter.reports[0];
    expect(first?.states.at(-1)).toBe('Done');
    expect(first?.output).toMatchObject({ status: 'FAILED', reason: 'UNEXPECTED' });
    expect(outcomes(s, 'orders').map((e) => e.detail.kind)).toEqual(['remediationFailed']);
    expect((await s.account.deps.leases.observe(ref('orders'), first!.name, s.account.clock.now())).held).toBe(false);
    // The retry comes back by itself and fixes the stream.
    s.account.clock.advance(3_600_000);
    await s.account.drain();
    expect(outcomes(s, 'orders').at(-1)?.detail.kind).toBe('remediationSucceeded');
  });

  it('12. a retried Conclude publishes nothing twice (delivered events are recorded on the stream state)', async () => {
    const s = await freshScenario({ triggers: true });
    const publish = s.account.events.publish.bind(s.account.events);
    let failures = 2;
    s.account.events.publish = async (events) => {
      if (events.length > 1 && failures > 0) {
        failures -= 1;
        // EventBridge took the first entry and refused the rest.
        await publish(events.slice(0, 1));
        throw new EventPublishError(
          'partial',
          events.slice(1).map((e) => ({ detailType: e.detailType, errorCode: 'InternalFailure' })),
          [events[0]!.detailType],
        );
      }
      return publish(events);
    };
    await s.createStream('orders');
    await s.account.drain();
    const kinds = s.account.events.events.map((e) => e.detail.kind);
    expect(kinds.filter((k) => k === 'evaluated')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'remediationSucceeded')).toHaveLength(1);
  });

  it('15 and 16. a Start that Firehose refuses gives its reservation back and is never announced as started', async () => {
    const s = await freshScenario({ triggers: true });
    s.account.emulator.emulator.faults.failNext('StartDeliveryStreamEncryption', 2, {
      type: 'LimitExceededException',
      message: 'Rate exceeded for StartDeliveryStreamEncryption',
    });
    await s.createStream('orders');
    await s.account.drain();
    const now = s.account.clock.now();
    const ours = (await s.account.deps.ledger.calls(ref('orders'), now)).filter((c) => c.by === 'remediator');
    expect(ours).toHaveLength(s.acceptedStarts('orders'));
    expect(s.account.events.ofKind('remediationStarted')).toHaveLength(s.acceptedStarts('orders'));
  });
});
