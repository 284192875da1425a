import { describe, expect, it } from 'vitest';
import type { WorkflowInput } from '../../functions/domain/remediation/state.ts';
import { runLocalSweep } from '../../local/local-sweep.ts';
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

describe('the account sweep', () => {
  const freshScenario = useScenarios();

  it('finds every stream that needs remediation, starts its workflow, and publishes a compliance snapshot', async () => {
    const s = await freshScenario();
    const needing = seed(s, 40);
    const { cursor } = await runLocalSweep(s.account);
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

    const again = await runLocalSweep(s.account);
    expect(again.cursor.totals).toMatchObject({ COMPLIANT: 30, REMEDIATE: 0 });
  });

  it('hands the rest on when an invocation runs short of time, evaluating each stream once', async () => {
    // Virtual time: the shared pacing and the emulator's rate limit on one simulated clock.
    const s = await freshScenario({ time: 'virtual', emulator: { rateLimit: {} } });
    const needing = seed(s, 120);
    const starter = recordingStarter();

    const result = await runLocalSweep(s.account, { starter, invocationMs: 5_000, pageSize: 50 });

    expect(result.invocations).toBeGreaterThan(2);
    expect(result.cursor.totals.streams).toBe(120);
    expect(starter.started.sort()).toEqual(needing);
  });

  it('sweeps 2,000 streams under the 5-per-second rate limit: no throttling error escapes, every non-compliant DirectPut stream gets a workflow', async () => {
    const s = await freshScenario({ time: 'virtual', emulator: { rateLimit: {} } });
    const needing = seed(s, 2_000);
    const starter = recordingStarter();

    const { cursor, elapsedMs } = await runLocalSweep(s.account, { starter });

    expect(cursor.totals).toEqual({ streams: 2_000, REMEDIATE: 1_000, COMPLIANT: 500, NOT_APPLICABLE: 300, EXEMPT: 200, BUSY: 0, GONE: 0 });
    expect(starter.started.sort()).toEqual(needing);
    expect(cursor.nonCompliant).toHaveLength(200);
    expect(cursor.truncated).toBe(true);
    // The shared pacing keeps every call under the limit: not one throttled. 2,000 Describes at the
    // paced 4.75 per second take at least 421 s of simulated time, and the sweep needs little more.
    expect(s.account.emulator.emulator.rateLimiter?.throttledCount).toBe(0);
    const describes = s.account.emulator.emulator.cloudTrail.events({ eventName: 'DescribeDeliveryStream' }).length;
    expect(describes).toBe(2_000);
    expect(elapsedMs / 1000).toBeGreaterThanOrEqual(2_000 / 4.75 - 1);
    expect(elapsedMs / 1000).toBeLessThan((2_000 / 4.75) * 1.05);
  }, 120_000);
});
