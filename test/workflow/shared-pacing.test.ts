import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_CALLS_PER_SECOND } from '../../functions/domain/firehose-facts.ts';
import { INLINE_SLOT_WAIT_MS, MAX_SLOT_WAITS, MAX_THROTTLE_WAITS, THROTTLE_BACKOFF_MS } from '../../functions/domain/pacing.ts';
import type { PacedOperation } from '../../functions/domain/ports.ts';
import { MAX_SLOT_WAIT_MS } from '../../functions/domain/remediation/paced-calls.ts';
import { DEFAULT_WORKFLOW_SETTINGS } from '../../functions/domain/remediation/state.ts';
import type { StreamRef } from '../../functions/domain/stream-ref.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import type { ExecutionReport } from '../../local/workflow-runner.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { expectSchemaValid, type Scenario, useScenarios } from '../support/local-account.ts';

/**
 * Issue: one shared pacing of every Firehose control-plane call. "Throttling is absorbed by waiting
 * in the state machine (a Wait state, or a Retry with backoff on a typed throttling error), not inside
 * one invocation", and "a happy-path remediation costs at most 3 Describes and 1 ListTags".
 */
const place = { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION };
const refOf = (name: string): StreamRef => ({ ...place, name });
const RATE_EXCEEDED = { type: 'LimitExceededException', message: 'Rate exceeded for the control plane' };
type Step = 'inspect' | 'enable' | 'check';

/** Every Firehose call the emulator answered: operation, the account clock then, and the error if any. */
function recordCalls(s: Scenario): { operation: string; at: number; error?: string }[] {
  const calls: { operation: string; at: number; error?: string }[] = [];
  const emulator = s.account.emulator.emulator;
  const call = emulator.call.bind(emulator);
  emulator.call = async (service, operation, input, caller) => {
    const entry: { operation: string; at: number; error?: string } = { operation, at: s.account.clock.now() };
    if (service === 'firehose') calls.push(entry);
    try {
      return await call(service, operation, input, caller);
    } catch (error) {
      entry.error = (error as { type?: string }).type ?? 'Error';
      throw error;
    }
  };
  return calls;
}

/** Inline waits the tasks took (deps.sleep): a throttle must never be waited out there. */
function recordInlineWaits(s: Scenario): number[] {
  const waits: number[] = [];
  const sleep = s.account.deps.sleep;
  s.account.deps.sleep = async (ms) => {
    waits.push(ms);
    return sleep(ms);
  };
  return waits;
}

/** Makes the first `times` calls of `operation` from the first run of `step` on be throttled, as Firehose's rate limit answers. */
function throttleFrom(s: Scenario, step: Step, operation: PacedOperation, times: number): void {
  let armed = false;
  s.account.runner.intercept = (fn, when) => {
    if (fn !== step || when !== 'before' || armed) return;
    armed = true;
    s.account.emulator.emulator.faults.failNext(operation, times, RATE_EXCEEDED);
  };
}

function trail(s: Scenario, operation: string) {
  return s.account.emulator.emulator.cloudTrail.events({ eventName: operation });
}

async function expectLeaseFree(s: Scenario, ref: StreamRef): Promise<void> {
  const now = s.account.clock.now();
  expect(await s.account.deps.leases.acquire(ref, 'probe', now, 1_000)).toMatchObject({ owner: 'probe' });
  await s.account.deps.leases.release(ref, 'probe');
}

/** Start calls of ours in the ledger now: those Firehose accepted (confirmed), and the rest. */
async function ledgerStarts(s: Scenario, ref: StreamRef) {
  const ours = (await s.account.deps.ledger.calls(ref, s.account.clock.now())).filter(
    (c) => c.by === 'remediator' && c.operation === 'Start',
  );
  return { confirmed: ours.filter((c) => c.requestId !== undefined).length, total: ours.length };
}

/** Streams created straight in the emulator (no API call: no rate limit spent, no CloudTrail). */
function seedStreams(s: Scenario, names: readonly string[]): void {
  for (const name of names)
    s.account.emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: name, ...S3_DESTINATION });
}

/** Starts a workflow for each stream at once (as the intake would) and lets virtual time run until all ended. */
async function runWorkflows(s: Scenario, names: readonly string[]): Promise<ExecutionReport[]> {
  const first = s.account.starter.reports.length;
  for (const name of names) {
    const correlationId = `exec-${name}-${s.account.clock.now()}`;
    await s.account.starter.start(correlationId, {
      stream: refOf(name),
      trigger: 'stream-created',
      detectedAt: s.account.clock.now(),
      correlationId,
    });
  }
  await s.account.drain();
  const reports = s.account.starter.reports.slice(first);
  const byName = new Map(reports.map((r) => [(r.output as { stream: { name: string } }).stream.name, r]));
  return names.map((name) => byName.get(name)!);
}

describe('workflow: shared pacing, throttles absorbed in the state machine', () => {
  const freshScenario = useScenarios();

  it.each([
    ['inspect', 'DescribeDeliveryStream', 1],
    ['inspect', 'DescribeDeliveryStream', 3],
    ['inspect', 'ListTagsForDeliveryStream', 1],
    ['inspect', 'ListTagsForDeliveryStream', 2],
    ['enable', 'StartDeliveryStreamEncryption', 1],
    ['enable', 'StartDeliveryStreamEncryption', 3],
    ['check', 'DescribeDeliveryStream', 2],
  ] as const)('%s: %s throttled %i time(s) waits in WaitSlot and ends REMEDIATED', async (step, operation, times) => {
    const s = await freshScenario();
    await s.createStream('orders');
    const calls = recordCalls(s);
    const inlineWaits = recordInlineWaits(s);
    throttleFrom(s, step, operation, times);

    const report = await s.remediate('orders');

    expect(report.status).toBe('SUCCEEDED');
    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(report.states.filter((n) => n === 'WaitSlot')).toHaveLength(times);
    // Back to the task that waited: a Check to Check, anything else (a Start too) through Inspect.
    const afterSlot = report.states.flatMap((n, i) => (n === 'RouteAfterSlot' ? [report.states[i + 1]] : []));
    expect(afterSlot).toEqual(Array(times).fill(step === 'check' ? 'Check' : 'Inspect'));

    // One SDK attempt per call: CloudTrail saw exactly the calls the tasks made, the throttled ones among them.
    for (const op of ['DescribeDeliveryStream', 'ListTagsForDeliveryStream', 'StartDeliveryStreamEncryption'])
      expect(trail(s, op), op).toHaveLength(report.firehoseCalls[op] ?? 0);
    expect(trail(s, operation).filter((e) => e.detail.errorCode === 'LimitExceededException')).toHaveLength(times);

    // Each throttled call was made again only after the back-off, waited out by WaitSlot, not in the Lambda.
    const ofOperation = calls.filter((c) => c.operation === operation);
    ofOperation.forEach((c, i) => {
      const next = ofOperation[i + 1];
      if (c.error && next) expect(next.at - c.at).toBeGreaterThanOrEqual(THROTTLE_BACKOFF_MS);
    });
    expect(inlineWaits.filter((ms) => ms > 0)).toEqual([]);

    // The ledger holds exactly the Starts Firehose accepted: a throttled Start's reservation was given back.
    expect(s.acceptedStarts('orders')).toBe(1);
    expect(await ledgerStarts(s, refOf('orders'))).toEqual({ confirmed: 1, total: 1 });
    expect(s.account.events.ofKind('remediationStarted')).toHaveLength(1);
    expect(s.eventKinds()).toEqual(['remediationStarted', 'evaluated', 'remediationSucceeded']);
    expectSchemaValid(s.account.events.events);
    await expectLeaseFree(s, refOf('orders'));
  });
});

describe('workflow: throttling that does not stop', () => {
  const freshScenario = useScenarios();

  it.each([
    ['inspect', 'DescribeDeliveryStream'],
    ['inspect', 'ListTagsForDeliveryStream'],
    ['check', 'DescribeDeliveryStream'],
  ] as const)(
    '%s: %s throttled for good waits MAX_THROTTLE_WAITS times in the state machine, then defers (CONTROL_PLANE_BUSY) with a retry, lease released',
    async (step, operation) => {
      const s = await freshScenario();
      await s.createStream('orders');
      const inlineWaits = recordInlineWaits(s);
      throttleFrom(s, step, operation, 100_000);
      const began = s.account.clock.now();

      const report = await s.remediate('orders');

      expect(report.status).toBe('SUCCEEDED');
      expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'CONTROL_PLANE_BUSY' });
      expect(s.account.events.ofKind('remediationDeferred')[0]?.detail).toMatchObject({
        reason: 'CONTROL_PLANE_BUSY',
        details: expect.stringMatching(/Rate exceeded/),
      });
      // Bounded: MAX_THROTTLE_WAITS waits in the state machine, then the task defers; no ASL retry needed.
      expect(report.states.filter((n) => n === 'WaitSlot')).toHaveLength(MAX_THROTTLE_WAITS);
      expect(report.lambdaInvocations[step]).toBe(MAX_THROTTLE_WAITS + 1);
      expect(report.states.slice(-3)).toEqual(['Conclude', 'RouteAfterConclude', 'Done']);
      // One SDK attempt per call, even throttled: each task invocation made exactly one call of the operation.
      expect(trail(s, operation)).toHaveLength(report.firehoseCalls[operation]!);
      expect(trail(s, operation).filter((e) => e.detail.errorCode === 'LimitExceededException')).toHaveLength(MAX_THROTTLE_WAITS + 1);
      // Every throttle was waited out in WaitSlot, THROTTLE_BACKOFF_MS each; none in a Lambda.
      expect(s.account.clock.now() - began).toBeGreaterThanOrEqual(MAX_THROTTLE_WAITS * THROTTLE_BACKOFF_MS);
      expect(inlineWaits.filter((ms) => ms > 0)).toEqual([]);
      expect(s.account.scheduler.pendingFor(refOf('orders'))).toHaveLength(1);
      await expectLeaseFree(s, refOf('orders'));
      expectSchemaValid(s.account.events.events);
    },
  );

  it('a Start throttled for good goes back through Inspect each time, and ends DEFERRED (CONTROL_PLANE_BUSY) after MAX_SLOT_WAITS: nothing spent, lease released', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    throttleFrom(s, 'enable', 'StartDeliveryStreamEncryption', 100_000);

    const report = await s.remediate('orders');

    expect(report.status).toBe('SUCCEEDED');
    // The looks were spent going around throttled Starts: the quota is busy, not the stream.
    expect(report.output).toMatchObject({ status: 'DEFERRED', reason: 'CONTROL_PLANE_BUSY', callsSpent: 0 });
    // Bounded by MAX_SLOT_WAITS (below maxInspections): each throttled Start waits once in WaitSlot, then the next defers.
    expect(MAX_SLOT_WAITS).toBeLessThan(DEFAULT_WORKFLOW_SETTINGS.maxInspections);
    expect(report.lambdaInvocations).toMatchObject({ inspect: MAX_SLOT_WAITS + 1, enable: MAX_SLOT_WAITS + 1 });
    expect(report.states.filter((n) => n === 'WaitSlot')).toHaveLength(MAX_SLOT_WAITS);
    expect(trail(s, 'StartDeliveryStreamEncryption')).toHaveLength(MAX_SLOT_WAITS + 1);
    expect(s.acceptedStarts('orders')).toBe(0);
    // Every throttled Start's reservation was given back: the ledger holds no call of ours.
    expect(await ledgerStarts(s, refOf('orders'))).toEqual({ confirmed: 0, total: 0 });
    expect(s.account.events.ofKind('remediationStarted')).toHaveLength(0);
    expect(s.account.scheduler.pendingFor(refOf('orders'))).toHaveLength(1);
    await expectLeaseFree(s, refOf('orders'));
  });
});

describe('workflow: a busy frontier', () => {
  const freshScenario = useScenarios();
  const scope = (operation: PacedOperation) => ({ ...place, operation });

  it('waits in the Lambda for a slot at most INLINE_SLOT_WAIT_MS away, and calls at it', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    const calls = recordCalls(s);
    const inlineWaits = recordInlineWaits(s);
    const began = s.account.clock.now();
    await s.account.deps.pacer.backOff(scope('DescribeDeliveryStream'), began + INLINE_SLOT_WAIT_MS);

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED' });
    expect(report.states).not.toContain('WaitSlot');
    expect(inlineWaits[0]).toBe(INLINE_SLOT_WAIT_MS);
    expect(calls[0]).toEqual({ operation: 'DescribeDeliveryStream', at: began + INLINE_SLOT_WAIT_MS });
  });

  it('waits in the state machine (WaitSlot) for a farther slot, then Inspect calls at it, on virtual time', async () => {
    const s = await freshScenario({ time: 'virtual', emulator: { rateLimit: {} } });
    seedStreams(s, ['orders']);
    const calls = recordCalls(s);
    const inlineWaits = recordInlineWaits(s);
    const began = s.account.clock.now();
    const slot = began + 60_000;
    await s.account.deps.pacer.backOff(scope('DescribeDeliveryStream'), slot);

    const [report] = await runWorkflows(s, ['orders']);

    expect(report!.output).toMatchObject({ status: 'REMEDIATED' });
    expect(report!.states.slice(0, 5)).toEqual(['Inspect', 'RouteAfterInspect', 'WaitSlot', 'RouteAfterSlot', 'Inspect']);
    expect(calls[0]).toEqual({ operation: 'DescribeDeliveryStream', at: slot });
    expect(calls[1]).toEqual({ operation: 'ListTagsForDeliveryStream', at: slot });
    expect(inlineWaits.filter((ms) => ms > INLINE_SLOT_WAIT_MS)).toEqual([]);
    // The frontier went on from the slot: the next caller comes after it.
    expect(await s.account.deps.pacer.frontier(scope('DescribeDeliveryStream'), began)).toBeGreaterThan(slot);
  });

  it('a Check whose slot is far waits in WaitSlot and goes back to Check, not Inspect', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    const calls = recordCalls(s);
    let slot = 0;
    s.account.runner.intercept = (fn, when) => {
      if (fn !== 'enable' || when !== 'after') return;
      slot = s.account.clock.now() + 10 * 60_000;
      void s.account.deps.pacer.backOff(scope('DescribeDeliveryStream'), slot);
    };

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    const check = report.states.indexOf('Check');
    expect(report.states.slice(check, check + 5)).toEqual(['Check', 'RouteAfterCheck', 'WaitSlot', 'RouteAfterSlot', 'Check']);
    expect(report.lambdaInvocations.check).toBe(2);
    // The look after the Start (the second Describe) came at the slot.
    expect(calls.filter((c) => c.operation === 'DescribeDeliveryStream')[1]).toEqual({ operation: 'DescribeDeliveryStream', at: slot });
  });

  it('defers (CONTROL_PLANE_BUSY) with a retry at the slot, calling nothing, when the slot is beyond MAX_SLOT_WAIT_MS', async () => {
    const s = await freshScenario();
    await s.createStream('orders');
    const calls = recordCalls(s);
    const slot = s.account.clock.now() + MAX_SLOT_WAIT_MS + 60_000;
    await s.account.deps.pacer.backOff(scope('DescribeDeliveryStream'), slot);

    const report = await s.remediate('orders');

    expect(report.output).toMatchObject({
      status: 'DEFERRED',
      reason: 'CONTROL_PLANE_BUSY',
      callsSpent: 0,
      retryAt: new Date(slot).toISOString(),
    });
    expect(report.states).toEqual(['Inspect', 'RouteAfterInspect', 'Conclude', 'RouteAfterConclude', 'Done']);
    expect(calls).toEqual([]);
    expect(s.account.events.ofKind('remediationDeferred')[0]?.detail).toMatchObject({ reason: 'CONTROL_PLANE_BUSY' });
    expect(s.account.scheduler.pendingFor(refOf('orders')).map((r) => r.at)).toEqual([slot]);
    expectSchemaValid(s.account.events.events);
    await expectLeaseFree(s, refOf('orders'));
  });
});

describe('workflow: pacing on virtual time with Firehose rate limit on', () => {
  const freshScenario = useScenarios();
  const ENABLING_MS = 20_000;
  const virtual = {
    time: 'virtual',
    emulator: { rateLimit: {}, timings: { creatingMs: 0, enablingMs: ENABLING_MS, disablingMs: 1_000, deletingMs: 0 } },
  } as const;

  it('happy path: 3 Describes and 1 ListTags per remediation once the ENABLING estimate is learnt, nothing throttled', async () => {
    const s = await freshScenario(virtual);
    const names = Array.from({ length: 12 }, (_, i) => `orders-${i}`);
    seedStreams(s, names);

    const reports: ExecutionReport[] = [];
    for (const name of names) reports.push(...(await runWorkflows(s, [name])));

    for (const report of reports) {
      expect(report.output, report.name).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
      expect(report.firehoseCalls.ListTagsForDeliveryStream, report.name).toBe(1);
      // Pacing adds no call: Inspect's Describe, one per Check, and the one that confirms the settle.
      expect(report.firehoseCalls.DescribeDeliveryStream, report.name).toBe(2 + report.lambdaInvocations.check!);
      expect(report.states, report.name).not.toContain('WaitSlot');
    }
    expect(s.account.emulator.emulator.rateLimiter?.throttledCount).toBe(0);
    // Nothing learnt yet: the first look after pollSeconds (10 s) finds ENABLING (20 s) and Check looks again.
    expect(reports[0]!.firehoseCalls.DescribeDeliveryStream).toBeGreaterThan(3);
    // Learnt: the first look comes when ENABLING typically ends; most find it over (a miss costs one Describe more).
    const learnt = reports.slice(1).map((r) => r.firehoseCalls.DescribeDeliveryStream!);
    // (A lesson moves the estimate by 25% at most, so from the 10 s guess it takes a few remediations.)
    expect(learnt.filter((n) => n === 3).length).toBeGreaterThanOrEqual(learnt.length * 0.7);
    expect(Math.max(...learnt)).toBeLessThanOrEqual(4);
    const typical = await s.account.deps.estimates.typical(place);
    expect(typical).toBeGreaterThan(ENABLING_MS * 0.9);
    expect(typical).toBeLessThan(ENABLING_MS * 1.5);
  });

  // Review finding: "A far Start slot livelocks the whole workflow": with the Start frontier 5 s ahead,
  // 150 streams created at once got no Start at all (each held Start slot went stale during its Inspect).
  it('a Start frontier pushed ahead (someone else uses the Start quota) delays the Starts, but every stream is remediated', async () => {
    const s = await freshScenario(virtual);
    const names = Array.from({ length: 40 }, (_, i) => `queued-${String(i).padStart(2, '0')}`);
    seedStreams(s, names);
    await s.account.deps.pacer.backOff({ ...place, operation: 'StartDeliveryStreamEncryption' }, s.account.clock.now() + 5_000);

    const reports = await runWorkflows(s, names);

    for (const report of reports) expect(report.output, report.name).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(trail(s, 'StartDeliveryStreamEncryption').filter((e) => !e.detail.errorCode)).toHaveLength(40);
  });

  it('30 remediations at once share the pacing: far slots are waited for in WaitSlot, Firehose never throttles, every call is under 5 per second', async () => {
    const s = await freshScenario(virtual);
    const names = Array.from({ length: 30 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
    seedStreams(s, names);
    const calls = recordCalls(s);

    const reports = await runWorkflows(s, names);

    for (const report of reports) expect(report.output, report.name).toMatchObject({ status: 'REMEDIATED', callsSpent: 1 });
    expect(s.account.emulator.emulator.rateLimiter?.throttledCount).toBe(0);
    expect(calls.filter((c) => c.error)).toEqual([]);
    expect(reports.filter((r) => r.states.includes('WaitSlot')).length).toBeGreaterThan(0);
    for (const operation of ['DescribeDeliveryStream', 'ListTagsForDeliveryStream', 'StartDeliveryStreamEncryption']) {
      const times = calls.filter((c) => c.operation === operation).map((c) => c.at);
      for (let i = CONTROL_PLANE_CALLS_PER_SECOND; i < times.length; i += 1)
        expect(times[i]! - times[i - CONTROL_PLANE_CALLS_PER_SECOND]!, `${operation} #${i}`).toBeGreaterThanOrEqual(1_000);
      expect(trail(s, operation), operation).toHaveLength(reports.reduce((n, r) => n + (r.firehoseCalls[operation] ?? 0), 0));
    }
  });
});
