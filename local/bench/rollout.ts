/**
 * Benchmark: turning the system on in an account with thousands of unencrypted DirectPut streams,
 * under Firehose's 5-calls-per-second limit per operation (local account, virtual time).
 *
 *   npm run bench:rollout -- --streams 3000 [--enabling-seconds 20]
 *
 * The last line is one JSON object (streams, remediated, failed, failedByThrottling, budgetOverruns,
 * ratioToQuotaBound, describesPerRemediation, throttlesAbsorbed, timeToProtectedP50Seconds, ...).
 */
import { parseArgs } from 'node:util';
import { runRollout } from '../rollout.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '3000' }, 'enabling-seconds': { type: 'string', default: '20' } },
});
const streams = Number(values.streams);
const enablingSeconds = Number(values['enabling-seconds']);
if (!Number.isInteger(streams) || streams < 1) throw new Error(`--streams: a positive integer, got ${values.streams}`);

console.log(
  `rollout: ${streams} unencrypted DirectPut streams, ENABLING ${enablingSeconds} s, limit 5 calls/s per operation (virtual time)`,
);
const result = await runRollout({ streams, enablingSeconds, progress: (line) => console.log(`  ${line}`) });
console.log(
  `remediated ${result.remediated} of ${result.streams}; FAILED ${result.failed} (${result.failedByThrottling} by throttling); budget overruns ${result.budgetOverruns}`,
);
console.log(
  `simulated ${result.simulatedSeconds.toFixed(0)} s; quota-bound minimum ${result.quotaBoundSeconds.toFixed(0)} s; ratio ${result.ratioToQuotaBound.toFixed(3)}`,
);
console.log('operation                      calls  throttled  peak/s  mean/s');
for (const [operation, load] of Object.entries(result.operations))
  console.log(
    `${operation.padEnd(30)} ${String(load.calls).padStart(5)}  ${String(load.throttled).padStart(9)}  ${String(load.peakPerSecond).padStart(6)}  ${load.meanPerSecond.toFixed(2).padStart(6)}`,
  );
console.log(
  `per remediation: ${result.describesPerRemediation.toFixed(2)} Describes, ${result.listTagsPerRemediation.toFixed(2)} ListTags; throttles absorbed ${result.throttlesAbsorbed}`,
);
console.log(
  `time to protected: p50 ${result.timeToProtectedP50Seconds} s, p95 ${result.timeToProtectedP95Seconds} s; real time ${result.realSeconds.toFixed(0)} s`,
);
const { operations: _operations, ...summary } = result;
console.log(JSON.stringify({ ...summary, operations: result.operations }));
