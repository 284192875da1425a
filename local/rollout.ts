import { CONTROL_PLANE_CALLS_PER_SECOND, ENCRYPTION_CALLS_PER_WINDOW } from '../functions/domain/firehose-facts.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalAccount } from './account.ts';
import { runLocalSweep } from './local-sweep.ts';
import { percentile, timesToProtected } from './time-to-protected.ts';

/** The operations the rollout measures (the ones the remediator calls). */
const OPERATIONS = ['ListDeliveryStreams', 'DescribeDeliveryStream', 'ListTagsForDeliveryStream', 'StartDeliveryStreamEncryption'] as const;

export interface RolloutOptions {
  streams: number;
  /** How long ENABLING lasts in the emulator (default 20 s). */
  enablingSeconds?: number;
  /** Told of progress (simulated seconds, executions finished). */
  progress?: (line: string) => void;
}

export interface OperationLoad {
  calls: number;
  throttled: number;
  peakPerSecond: number;
  meanPerSecond: number;
}

export interface RolloutResult {
  streams: number;
  remediated: number;
  failed: number;
  failedByThrottling: number;
  budgetOverruns: number;
  /** Simulated seconds from turning the system on until every workflow ended. */
  simulatedSeconds: number;
  /** The least time the calls made could take under the quota: the busiest operation's calls at 5 per second. */
  quotaBoundSeconds: number;
  ratioToQuotaBound: number;
  describesPerRemediation: number;
  listTagsPerRemediation: number;
  throttlesAbsorbed: number;
  timeToProtectedP50Seconds: number;
  timeToProtectedP95Seconds: number;
  operations: Record<(typeof OPERATIONS)[number], OperationLoad>;
  executions: number;
  transitions: number;
  realSeconds: number;
}

/**
 * The rollout: an account that already has `streams` unencrypted DirectPut streams turns the system
 * on. On the local account in virtual time, with Firehose's 5-calls-per-second limit per operation
 * on: the sweep finds every stream, a workflow remediates each, and the shared pacing keeps the
 * sweep and all workflows under the limit together. Measures what the issue asks: outcomes, budget
 * overruns, the simulated time against the quota-bound minimum, calls per operation, time to protected.
 */
export async function runRollout(options: RolloutOptions): Promise<RolloutResult> {
  const realStart = performance.now();
  const account = await LocalAccount.start({
    time: 'virtual',
    emulator: {
      rateLimit: {},
      timings: { creatingMs: 0, enablingMs: (options.enablingSeconds ?? 20) * 1000, disablingMs: 10_000, deletingMs: 0 },
    },
  });
  try {
    const emulator = account.emulator.emulator;
    for (let i = 0; i < options.streams; i += 1) {
      emulator.firehose.handle('CreateDeliveryStream', {
        DeliveryStreamName: `rollout-${String(i).padStart(5, '0')}`,
        ExtendedS3DestinationConfiguration: {
          RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/firehose-delivery`,
          BucketARN: 'arn:aws:s3:::rollout-landing',
        },
      });
    }
    const trailStart = emulator.cloudTrail.size;
    const began = account.clock.now();
    const ticker = setInterval(
      () =>
        options.progress?.(
          `${Math.round((account.clock.now() - began) / 1000)} s simulated: ${account.starter.started} workflows started, ${account.starter.reports.length} ended`,
        ),
      2_000,
    );
    try {
      await runLocalSweep(account);
      await account.drain();
    } finally {
      clearInterval(ticker);
    }
    const simulatedSeconds = (account.clock.now() - began) / 1000;

    const reports = account.starter.reports;
    const outputs = reports.map((r) => r.output as { status?: string; reason?: string; details?: string } | undefined);
    const failures = reports.filter((r, i) => r.status === 'FAILED' || outputs[i]?.status === 'FAILED');
    const byThrottling = failures.filter((r) =>
      /RateLimited|throttl|Rate exceeded/i.test(`${r.error ?? ''} ${JSON.stringify(r.output ?? {})}`),
    );
    const remediated = outputs.filter((o) => o?.status === 'REMEDIATED').length;

    const trail = emulator.cloudTrail.events({ since: trailStart });
    const operations = Object.fromEntries(
      OPERATIONS.map((operation) => {
        const events = trail.filter((e) => e.detail.eventName === operation);
        const accepted = events.filter((e) => e.detail.errorCode === undefined);
        const perSecond = new Map<string, number>();
        for (const e of accepted) perSecond.set(e.detail.eventTime as string, (perSecond.get(e.detail.eventTime as string) ?? 0) + 1);
        return [
          operation,
          {
            calls: accepted.length,
            throttled: events.length - accepted.length,
            peakPerSecond: Math.max(0, ...perSecond.values()),
            meanPerSecond: accepted.length / simulatedSeconds,
          },
        ];
      }),
    ) as RolloutResult['operations'];
    const quotaBoundSeconds = Math.max(...Object.values(operations).map((o) => o.calls / CONTROL_PLANE_CALLS_PER_SECOND));

    let budgetOverruns = 0;
    const share = account.deps.policy.budget.share;
    for (let i = 0; i < options.streams; i += 1) {
      const ref = { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name: `rollout-${String(i).padStart(5, '0')}` };
      const status = await account.deps.ledger.status(ref, account.clock.now(), share);
      const starts = trail.filter(
        (e) =>
          e.detail.eventName === 'StartDeliveryStreamEncryption' &&
          e.detail.errorCode === undefined &&
          (e.detail.requestParameters as { deliveryStreamName?: string }).deliveryStreamName === ref.name,
      ).length;
      if (starts > ENCRYPTION_CALLS_PER_WINDOW || status.ours > share) budgetOverruns += 1;
    }

    const sum = (operation: string) => reports.reduce((total, r) => total + (r.firehoseCalls[operation] ?? 0), 0);
    const times = timesToProtected(account.events.events.filter((e: GuardEvent) => e.detail.kind === 'remediationSucceeded'));
    return {
      streams: options.streams,
      remediated,
      failed: failures.length,
      failedByThrottling: byThrottling.length,
      budgetOverruns,
      simulatedSeconds,
      quotaBoundSeconds,
      ratioToQuotaBound: simulatedSeconds / quotaBoundSeconds,
      describesPerRemediation: sum('DescribeDeliveryStream') / Math.max(1, remediated),
      listTagsPerRemediation: sum('ListTagsForDeliveryStream') / Math.max(1, remediated),
      throttlesAbsorbed: emulator.rateLimiter?.throttledCount ?? 0,
      timeToProtectedP50Seconds: percentile(times, 50),
      timeToProtectedP95Seconds: percentile(times, 95),
      operations,
      executions: reports.length,
      transitions: reports.reduce((total, r) => total + r.transitions, 0),
      realSeconds: (performance.now() - realStart) / 1000,
    };
  } finally {
    await account.close();
  }
}
