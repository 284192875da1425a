/**
 * Benchmark: the sweep's DescribeDeliveryStream rate as a fraction of the quota-limited maximum
 * (5 calls per second), on the emulator with its rate limit on. Time can run faster than real time
 * (--time-scale): the emulator's limiter and the sweep's pacer share the scaled clock, so the
 * fraction is the same as in real time as long as the machine keeps up (compare scales side by side).
 *
 *   npm run bench:sweep -- --streams 2000 --time-scale 20 --time-scale 5
 */
import { parseArgs } from 'node:util';
import { CONTROL_PLANE_CALLS_PER_SECOND } from '../../functions/domain/firehose-facts.ts';
import { LocalAccount } from '../account.ts';
import { runLocalSweep } from '../local-sweep.ts';
import { scaledTime } from '../scaled-time.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '2000' }, 'time-scale': { type: 'string', multiple: true }, rate: { type: 'string' } },
});
const streams = Number(values.streams);
const scales = (values['time-scale'] ?? ['20', '5']).map(Number);
const rate = values.rate === undefined ? undefined : Number(values.rate);

console.log(`sweep of ${streams} streams (half need remediation), emulator rate limit ${CONTROL_PLANE_CALLS_PER_SECOND}/s per operation`);
console.log('time-scale  describes  elapsed(s)  describes/s  fraction-of-max  throttled  real(s)');
for (const scale of scales) {
  const time = scaledTime(scale);
  const account = await LocalAccount.start({ emulator: { rateLimit: {}, rateClock: time.clock, timings: { creatingMs: 0 } } });
  const firehose = account.emulator.emulator.firehose;
  for (let i = 0; i < streams; i += 1) {
    const extra = i % 2 === 0 ? {} : { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } };
    firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: `bench-${String(i).padStart(6, '0')}`,
      ExtendedS3DestinationConfiguration: {},
      ...extra,
    });
  }
  let started = 0;
  const starter = { start: async () => ({ started: (started += 1) > 0 }) };
  const realStart = performance.now();
  const { cursor, elapsedMs } = await runLocalSweep(account, { starter, time, ...(rate ? { describesPerSecond: rate } : {}) });
  const real = (performance.now() - realStart) / 1000;
  const perSecond = cursor.totals.streams / (elapsedMs / 1000);
  console.log(
    [
      String(scale).padStart(10),
      String(cursor.totals.streams).padStart(10),
      (elapsedMs / 1000).toFixed(1).padStart(11),
      perSecond.toFixed(2).padStart(12),
      (perSecond / CONTROL_PLANE_CALLS_PER_SECOND).toFixed(3).padStart(16),
      String(account.emulator.emulator.rateLimiter?.throttledCount ?? 0).padStart(10),
      real.toFixed(1).padStart(8),
    ].join(' '),
  );
  if (started !== streams / 2) throw new Error(`expected ${streams / 2} workflows, started ${started}`);
  await account.close();
}
