import {
  PutRecordCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { EventPublishError } from '../../functions/domain/errors.ts';
import type { GuardEvent } from '../../functions/domain/events.ts';
import { FOLLOW_UP_MS } from '../../functions/domain/remediation/conclude.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import { startScenario, type Scenario } from '../support/local-account.ts';

/**
 * Adversarial review of the "never leave a stream behind" mechanism: each test drives one
 * interleaving on the local account and asserts the promise. A failing test is a hole.
 */
const ref = (name: string) => ({ account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name });
const FAST = { timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0, deletingMs: 0 } };
const OUTCOME_KINDS = ['remediationSucceeded', 'remediationDeferred', 'remediationFailed'];
const detailOf = (e: GuardEvent) => e.detail as unknown as { kind: string; correlationId: string; stream?: { name: string }; verdict?: string };
const ofExecution = (s: Scenario, correlationId: string) => s.account.events.events.filter((e) => detailOf(e).correlationId === correlationId);
const outcomes = (s: Scenario, name: string) => s.account.events.events.filter((e) => detailOf(e).stream?.name === name && OUTCOME_KINDS.includes(e.detail.kind));
const encryptedNow = async (s: Scenario, name: string) =>
  (await s.person.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: new TextEncoder().encode('x') } }))).Encrypted === true;

/** Checks every claim of encryption (Succeeded, COMPLIANT evaluation, key change kept) against PutRecord at publication. */
function checkVerdictsWhenPublished(s: Scenario): { wrong: string[] } {
  const wrong: string[] = [];
  const publish = s.account.events.publish.bind(s.account.events);
  s.account.events.publish = async (events: readonly GuardEvent[]) => {
    for (const e of events) {
      const d = detailOf(e);
      const claims = d.kind === 'remediationSucceeded' || d.kind === 'keyChangeFailed' || (d.kind === 'evaluated' && d.verdict === 'COMPLIANT');
      if (claims && d.stream && !(await encryptedNow(s, d.stream.name))) wrong.push(`${d.kind} for ${d.stream.name} while records are written unencrypted`);
    }
    return publish(events);
  };
  return { wrong };
}

describe('adversarial review', () => {
  let s: Scenario;
  afterEach(async () => s?.close());

  it('A. a failed Start on a DISABLED stream, with the key of its last COMPLIANT verdict, is not a "kept key": the stream ends encrypted', async () => {
    s = await startScenario({ triggers: true, emulator: FAST });
    const key = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [key], fallbackToAwsOwned: true } });
    await s.createStream('orders', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } });
    s.account.clock.advance(10_000);
    await s.account.drain();
    expect((await s.account.deps.states.get(ref('orders')))?.verdict).toBe('COMPLIANT');
    const { wrong } = checkVerdictsWhenPublished(s);
    // The owner turns SSE off, then tries to turn it back on with the approved key, which someone disabled.
    s.account.clock.advance(60_000);
    await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    await s.kms.send(new DisableKeyCommand({ KeyId: key }));
    await s.person.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: key } }));
    s.account.clock.advance(10_000);
    await s.account.drain();
    expect(wrong).toEqual([]);
    expect(s.account.events.ofKind('keyChangeFailed')).toEqual([]);
    expect(await encryptedNow(s, 'orders')).toBe(true);
  });
  it('B. the settle counts only for one enablement: a Stop and a new Start between the settle and the confirming look restart it', async () => {
    s = await startScenario({ triggers: true, emulator: FAST });
    const { wrong } = checkVerdictsWhenPublished(s);
    // Lease observes: 1 = the first Inspect, 2 = the Inspect that confirms the settle (after Check saw ENABLED).
    const leases = s.account.deps.leases;
    const observe = leases.observe.bind(leases);
    let calls = 0;
    leases.observe = async (r, owner, now) => {
      calls += 1;
      if (calls === 2) {
        // During the settle wait (or while the confirming Inspect was being retried), the owner cycles SSE.
        await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
        await s.person.send(new StartDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders', DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }));
        await s.account.bus.drain();
      }
      return observe(r, owner, now);
    };
    await s.createStream('orders');
    await s.account.drain();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(wrong).toEqual([]);
  });
  it('C. out of rounds, Conclude does not publish a verdict that a trigger since the last look may contradict', async () => {
    s = await startScenario({ triggers: true, emulator: FAST });
    const { wrong } = checkVerdictsWhenPublished(s);
    let round = -1;
    s.account.runner.intercept = (fn, when, input) => {
      if (fn === 'conclude' && when === 'before') round = (input as { rounds?: number }).rounds ?? 0;
    };
    const leases = s.account.deps.leases;
    const observe = leases.observe.bind(leases);
    leases.observe = async (r, owner, now) => {
      // Rounds 0 to 2: a trigger (e.g. a Config compliance change) lands just before each Conclude.
      if (round >= 0 && round < 3) {
        await leases.noteTrigger(r, now);
        round = -1;
      }
      return observe(r, owner, now);
    };
    const states = s.account.deps.states;
    const get = states.get.bind(states);
    states.get = async (r) => {
      // Round 3 (no look left): the owner stops SSE between the last Inspect and Conclude.
      if (round === 3) {
        round = -1;
        await s.person.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
        await s.account.bus.drain();
      }
      return get(r);
    };
    await s.createStream('orders');
    await s.account.drain();
    expect(wrong).toEqual([]);
  });
});
