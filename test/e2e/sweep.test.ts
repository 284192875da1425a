import { describe, expect, it } from 'vitest';
import type { FirehoseGateway } from '../../functions/domain/ports.ts';
import type { WorkflowInput } from '../../functions/domain/remediation/state.ts';
import { ManualClock } from '../../local/emulator/index.ts';
import { runLocalSweep } from '../../local/local-sweep.ts';
import type { TimeSource } from '../../local/scaled-time.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { expectSchemaValid, type Scenario, useScenarios } from '../support/local-account.ts';

const KINESIS = {
  DeliveryStreamType: 'KinesisStreamAsSource',
  KinesisStreamSourceConfiguration: {
    KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
    RoleARN: 'arn:aws:iam::123456789012:role/r',
  },
};

/** Seeds streams straight into the emulator (no API path: no rate limit, no CloudTrail). Returns the names that need remediation. */
function seed(s: Scenario, count: number): string[] {
  const firehose = s.account.emulator.emulator.firehose;
  const needing: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `stream-${String(i).padStart(5, '0')}`;
    const kind = i % 20;
    const extra =
      kind < 10
        ? {}
        : kind < 15
          ? { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }
          : kind < 18
            ? KINESIS
            : { Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] };
    firehose.handle('CreateDeliveryStream', { DeliveryStreamName: name, ...S3_DESTINATION, ...extra });
    if (kind < 10) needing.push(name);
  }
  return needing;
}

function recordingStarter() {
  const started: string[] = [];
  return {
    started,
    start: async (_name: string, input: WorkflowInput) => {
      started.push(input.stream.name);
      return { started: true };
    },
  };
}

/**
 * The sweep's pacers and the emulator's rate limiter on one manual clock, and no wall time waited. A
 * pacer's sleep moves the clock to the slot it waits for, but only once every Firehose call already
 * under way has been answered: each call reaches the rate limiter at its slot, however fast or loaded
 * this machine is (a sleep that moved the clock at once would let calls arrive bunched, late).
 */
function pacedTime(clock: ManualClock, firehose: FirehoseGateway): TimeSource {
  const sleepers: { at: number; wake: () => void }[] = [];
  let inFlight = 0;
  let scheduled = false;
  const wakeNext = () => {
    scheduled = false;
    if (inFlight > 0 || sleepers.length === 0) return;
    sleepers.sort((a, b) => a.at - b.at);
    const next = sleepers.shift()!;
    if (next.at > clock.now()) clock.set(next.at);
    next.wake();
    schedule();
  };
  // setImmediate runs after the microtasks: by then a woken sleeper has sent its call (counted in flight).
  const schedule = () => {
    if (scheduled || sleepers.length === 0) return;
    scheduled = true;
    setImmediate(wakeNext);
  };
  const tracked =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      inFlight += 1;
      try {
        return await call(...args);
      } finally {
        inFlight -= 1;
        schedule();
      }
    };
  firehose.describe = tracked(firehose.describe.bind(firehose));
  firehose.tags = tracked(firehose.tags.bind(firehose));
  firehose.listNames = tracked(firehose.listNames.bind(firehose));
  firehose.startEncryption = tracked(firehose.startEncryption.bind(firehose));
  return {
    clock,
    sleep: (ms) =>
      new Promise((wake) => {
        sleepers.push({ at: clock.now() + ms, wake });
        schedule();
      }),
  };
}

describe('the account sweep', () => {
  const freshScenario = useScenarios();

  it('finds every stream that needs remediation, starts its workflow, and publishes a compliance snapshot', async () => {
    const s = await freshScenario();
    const needing = seed(s, 40);
    const time = pacedTime(new ManualClock(), s.account.deps.firehose);

    const { cursor } = await runLocalSweep(s.account, { time });
    await s.account.drain();

    expect(cursor.totals).toEqual({ streams: 40, REMEDIATE: 20, COMPLIANT: 10, NOT_APPLICABLE: 6, EXEMPT: 4, BUSY: 0, GONE: 0 });
    expect(cursor.workflowsStarted).toBe(20);
    expect(s.account.starter.reports.map((r) => (r.output as { stream: { name: string } }).stream.name).sort()).toEqual(needing);
    expect(s.account.starter.reports.every((r) => (r.output as { status: string }).status === 'REMEDIATED')).toBe(true);
    const snapshot = s.account.events.ofKind('complianceSnapshot');
    expect(snapshot).toHaveLength(1);
    expect(snapshot[0]?.detail).toMatchObject({
      totals: cursor.totals,
      nonCompliant: expect.arrayContaining([{ name: needing[0], region: 'us-east-1', reason: 'ENCRYPTION_DISABLED' }]),
    });
    expectSchemaValid(s.account.events.events);

    const again = await runLocalSweep(s.account, { time });
    expect(again.cursor.totals).toMatchObject({ COMPLIANT: 30, REMEDIATE: 0 });
  });

  it('hands the rest on when an invocation runs short of time, evaluating each stream once', async () => {
    const clock = new ManualClock();
    const s = await freshScenario({ emulator: { rateLimit: {}, rateClock: clock } });
    const needing = seed(s, 120);
    const time = pacedTime(clock, s.account.deps.firehose);
    const starter = recordingStarter();

    const result = await runLocalSweep(s.account, { starter, time, invocationMs: 5_000, pageSize: 50 });

    expect(result.invocations).toBeGreaterThan(2);
    expect(result.cursor.totals.streams).toBe(120);
    expect(starter.started.sort()).toEqual(needing);
  });

  it('sweeps 2,000 streams under the 5-per-second rate limit: no throttling error escapes, every non-compliant DirectPut stream gets a workflow', async () => {
    const clock = new ManualClock();
    const s = await freshScenario({ emulator: { rateLimit: {}, rateClock: clock } });
    const needing = seed(s, 2_000);
    const time = pacedTime(clock, s.account.deps.firehose);
    const starter = recordingStarter();

    const { cursor } = await runLocalSweep(s.account, { starter, time });

    expect(cursor.totals).toEqual({ streams: 2_000, REMEDIATE: 1_000, COMPLIANT: 500, NOT_APPLICABLE: 300, EXEMPT: 200, BUSY: 0, GONE: 0 });
    expect(starter.started.sort()).toEqual(needing);
    expect(cursor.nonCompliant).toHaveLength(200);
    expect(cursor.truncated).toBe(true);
  }, 120_000);
});
