/**
 * Benchmark: `sweep --fix` beside what a user would write instead, a loop that lists the streams,
 * describes each, starts SSE where it is off and waits for ENABLED plus the 5-second settle. Each
 * runs on a fresh emulator with its default timings and the 5-calls-per-second limit on, in real
 * time, with 100 streams of which 50 are unencrypted (issue 13's comparison).
 *
 *   npm run bench:sweep-fix [-- --streams 100]
 *
 * The last line is one JSON object: { naiveSeconds, sweepFixSeconds, ratio, ... }.
 */
import { parseArgs } from 'node:util';
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  StartDeliveryStreamEncryptionCommand,
} from '@aws-sdk/client-firehose';
import { runSweep } from '../../cli/sweep-run.ts';
import { PACED_CALLS_PER_SECOND } from '../../functions/domain/pacing.ts';
import { parsePolicy } from '../../functions/domain/policy.ts';
import { ENCRYPTION_SETTLE_MS } from '../../functions/domain/firehose-facts.ts';
import { serveEmulator, type RunningEmulator } from '../emulator/index.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIABENCH';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '100' } } });
const streams = Number(values.streams);
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freshEmulator(): Promise<RunningEmulator> {
  const running = await serveEmulator({ rateLimit: {} });
  for (let i = 0; i < streams; i += 1) {
    running.emulator.firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: `fleet-${String(i).padStart(4, '0')}`,
      ExtendedS3DestinationConfiguration: { RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`, BucketARN: 'arn:aws:s3:::b' },
      ...(i % 2 === 0 ? {} : { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }),
    });
  }
  await sleep(1_500); // past CREATING (1 s by default)
  return running;
}

/** What a user writes: sequential, with the SDK's own retries against throttling. */
async function naiveLoop(endpoint: string): Promise<void> {
  const client = new FirehoseClient({ endpoint, region: REGION, maxAttempts: 10 });
  const names: string[] = [];
  let start: string | undefined;
  for (;;) {
    const page = await client.send(new ListDeliveryStreamsCommand({ Limit: 100, ExclusiveStartDeliveryStreamName: start }));
    names.push(...(page.DeliveryStreamNames ?? []));
    if (!page.HasMoreDeliveryStreams) break;
    start = names.at(-1);
  }
  const started: string[] = [];
  for (const name of names) {
    const d = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
    if (d?.DeliveryStreamType === 'DirectPut' && (d.DeliveryStreamEncryptionConfiguration?.Status ?? 'DISABLED') === 'DISABLED') {
      await client.send(
        new StartDeliveryStreamEncryptionCommand({
          DeliveryStreamName: name,
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        }),
      );
      started.push(name);
    }
  }
  for (const name of started) {
    for (;;) {
      const d = (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription;
      if (d?.DeliveryStreamEncryptionConfiguration?.Status === 'ENABLED') break;
      await sleep(1_000);
    }
  }
  await sleep(ENCRYPTION_SETTLE_MS);
  client.destroy();
}

async function sweepFix(endpoint: string): Promise<void> {
  const result = await runSweep({
    account: ACCOUNT,
    regions: [REGION],
    endpointUrl: endpoint,
    fix: true,
    policy: parsePolicy({}),
    callsPerSecond: PACED_CALLS_PER_SECOND,
  });
  if (result.remaining !== 0) throw new Error(`sweep --fix left ${result.remaining} streams unencrypted`);
  if (result.failed.length > 0)
    throw new Error(`sweep --fix could not sweep: ${result.failed.map((f) => `${f.account} ${f.region ?? ''}: ${f.error}`).join('; ')}`);
}

async function timed(label: string, run: (endpoint: string) => Promise<void>) {
  const running = await freshEmulator();
  const began = performance.now();
  await run(running.endpoint);
  const seconds = (performance.now() - began) / 1000;
  const emulator = running.emulator;
  const unencrypted = emulator.firehose.handle('ListDeliveryStreams', { Limit: 10_000 }).DeliveryStreamNames as string[];
  const left = unencrypted.filter(
    (name) =>
      (
        emulator.firehose.handle('DescribeDeliveryStream', { DeliveryStreamName: name }) as {
          DeliveryStreamDescription: { DeliveryStreamEncryptionConfiguration?: { Status?: string } };
        }
      ).DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration?.Status !== 'ENABLED',
  ).length;
  const throttled = emulator.rateLimiter?.throttledCount ?? 0;
  const calls = emulator.cloudTrail.size;
  await running.close();
  console.log(
    `${label.padEnd(12)} ${seconds.toFixed(1).padStart(7)} s   ${String(calls).padStart(5)} calls   ${String(throttled).padStart(4)} throttled   ${left} not ENABLED`,
  );
  return { seconds, calls, throttled, left };
}

console.log(`${streams} streams (${streams / 2} unencrypted), emulator default timings, 5 calls/s per operation, real time`);
const naive = await timed('naive loop', naiveLoop);
const ours = await timed('sweep --fix', sweepFix);
console.log(`sweep --fix / naive loop = ${(ours.seconds / naive.seconds).toFixed(2)}`);
console.log(
  JSON.stringify({
    streams,
    naiveSeconds: naive.seconds,
    sweepFixSeconds: ours.seconds,
    ratio: ours.seconds / naive.seconds,
    naiveThrottled: naive.throttled,
    sweepFixThrottled: ours.throttled,
    naiveCalls: naive.calls,
    sweepFixCalls: ours.calls,
    leftUnencrypted: { naive: naive.left, sweepFix: ours.left },
  }),
);
