import { describe, expect, it } from 'vitest';
import { DESCRIBES_PER_REMEDIATION } from '../../functions/domain/pacing.ts';
import { runRollout } from '../../local/rollout.ts';

/**
 * Issue 13, "Rollout under the shared quota": the small version of `npm run bench:rollout` (virtual
 * time, Firehose's 5-calls-per-second limit on). Counts and simulated time only, never wall time.
 */
describe('turning the system on in an account with 200 unencrypted DirectPut streams', () => {
  it('remediates every stream, with no FAILED outcome, no throttling failure, no budget overrun, close to the quota-bound minimum', async () => {
    const result = await runRollout({ streams: 200 });

    expect(result).toMatchObject({ streams: 200, remediated: 200, failed: 0, failedByThrottling: 0, budgetOverruns: 0 });
    // "A happy-path remediation costs at most 3 Describes and 1 ListTags": the first few, started
    // before anything is learnt of ENABLING, may look once more.
    expect(result.listTagsPerRemediation).toBe(1);
    expect(result.describesPerRemediation).toBeLessThanOrEqual(DESCRIBES_PER_REMEDIATION + 0.25);
    // The shared pacing keeps every operation at or under 5 calls in any second.
    for (const load of Object.values(result.operations)) expect(load.peakPerSecond).toBeLessThanOrEqual(5);
    // Time: the busiest operation's calls at 5 per second, plus the last streams' ENABLING and settle.
    expect(result.ratioToQuotaBound).toBeLessThan(1.35);
    expect(result.timeToProtectedP50Seconds).toBeLessThanOrEqual(20 + 5 + 10);
  }, 120_000);
});
