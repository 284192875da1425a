import type { StreamDecision, Verdict } from '../functions/domain/decision.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import type { StreamRef } from '../functions/domain/stream-ref.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalAccount } from './account.ts';
import { iamUserIdentity } from './emulator/index.ts';
import { runLocalSweep } from './local-sweep.ts';

/** The kinds of stream a realistic account has, and what each must end as. */
export const STREAM_KINDS = {
  unencrypted: { expect: 'COMPLIANT', via: 'REMEDIATED', what: 'DirectPut, no SSE' },
  awsOwned: { expect: 'COMPLIANT', via: undefined, what: 'SSE with the AWS owned key (accepted as fallback)' },
  approvedKey: { expect: 'COMPLIANT', via: undefined, what: 'SSE with the approved customer managed key' },
  disabledKey: { expect: 'COMPLIANT', via: 'REMEDIATED', what: 'SSE with a customer managed key that was disabled' },
  kinesis: { expect: 'NOT_APPLICABLE', via: undefined, what: 'Kinesis-sourced' },
  msk: { expect: 'NOT_APPLICABLE', via: undefined, what: 'MSK-sourced' },
  exemptTag: { expect: 'EXEMPT', via: undefined, what: 'tagged sse-guard:exempt=true' },
  sandbox: { expect: 'EXEMPT', via: undefined, what: 'named sandbox-*' },
  flapping: { expect: 'COMPLIANT', via: 'REMEDIATED', what: 'a person keeps stopping its SSE' },
  burst: { expect: 'COMPLIANT', via: 'REMEDIATED', what: 'created during the run' },
  // The two below cannot end compliant within the run: the report shows a deferral, budget-low
  // events and a failure with its reason, and the scenario expects exactly that.
  budgetSpent: { expect: 'REMEDIATE', via: 'DEFERRED', what: 'a person stops its SSE until the 25 calls are spent' },
  brokenVpc: { expect: 'REMEDIATE', via: 'FAILED', what: 'its VPC subnet was deleted: every enablement fails' },
} as const satisfies Record<string, { expect: Verdict; via: string | undefined; what: string }>;

export type StreamKind = keyof typeof STREAM_KINDS;

export interface ScenarioOptions {
  streams?: number;
  seed?: number;
  /** Times the person stops the flapping stream's encryption. */
  stops?: number;
  /** Times the person stops the budgetSpent stream's encryption (13: the 25th call is theirs, so ours is deferred). */
  heavyStops?: number;
  progress?: (line: string, live?: boolean) => void;
  /** Loopback ports for the emulator and dynalite (see LocalAccountOptions). */
  ports?: { emulator?: number; dynamodb?: number };
  /** Called with the result and the account before the account closes (e.g. to keep serving it). */
  beforeClose?: (result: ScenarioResult, account: LocalAccount) => Promise<void>;
}

export interface StreamOutcome<K extends string = StreamKind> {
  /** In an organization (npm start -- --org): where the stream lives. */
  account?: string;
  region?: string;
  name: string;
  kind: K;
  expected: Verdict;
  verdict: Verdict;
  lastOutcome?: string;
  lastReason?: string;
  callsLast24h: { ours: number; total: number };
  /** The key the final sweep saw (AWS owned or the CMK's ARN), when the stream is encrypted with an accepted key. */
  key?: { keyType: string; keyArn?: string };
  /** Whether that key is the policy's fallback (the AWS owned key) rather than an approved one. */
  viaFallback?: boolean;
  ok: boolean;
}

export interface ScenarioResult<K extends string = StreamKind> {
  streams: StreamOutcome<K>[];
  events: GuardEvent[];
  executions: number;
  transitions: number;
  converged: boolean;
  startedAt: number;
  endedAt: number;
}

/** mulberry32: a small seeded generator, so a seed gives the same account every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS = [
  'orders',
  'clicks',
  'payments',
  'audit',
  'billing',
  'metrics',
  'inventory',
  'sessions',
  'checkout',
  'search',
  'ledger',
  'telemetry',
  'shipping',
  'profiles',
  'alerts',
];

function plan(total: number, rnd: () => number): { name: string; kind: StreamKind }[] {
  const n = (fraction: number) => Math.max(1, Math.round(total * fraction));
  const fixed: [StreamKind, number][] = [
    ['awsOwned', n(0.1)],
    ['approvedKey', n(0.1)],
    ['disabledKey', 1],
    ['kinesis', n(0.1)],
    ['msk', n(0.05)],
    ['exemptTag', n(0.05)],
    ['sandbox', n(0.05)],
    ['flapping', 1],
    ['burst', n(0.2)],
    ['budgetSpent', 1],
    ['brokenVpc', 1],
  ];
  // The unencrypted streams take what is left, so that the account has exactly `total` streams
  // (the smallest account gives the burst one stream less for it).
  const burst = fixed.find(([kind]) => kind === 'burst') as [StreamKind, number];
  burst[1] -= Math.max(0, 1 - (total - fixed.reduce((sum, [, c]) => sum + c, 0)));
  const rest = total - fixed.reduce((sum, [, c]) => sum + c, 0);
  const counts: [StreamKind, number][] = [['unencrypted', Math.max(1, rest)], ...fixed];
  const names = new Set<string>();
  const out: { name: string; kind: StreamKind }[] = [];
  for (const [kind, count] of counts) {
    for (let i = 0; i < count; i += 1) {
      let name: string;
      do {
        const word = WORDS[Math.floor(rnd() * WORDS.length)] as string;
        const base =
          kind === 'sandbox' ? `sandbox-${word}` : kind === 'kinesis' ? `${word}-mirror` : kind === 'msk' ? `${word}-from-kafka` : word;
        name = `${base}-${Math.floor(rnd() * 900 + 100)}`;
      } while (names.has(name));
      names.add(name);
      out.push({ name, kind });
    }
  }
  return out;
}

const S3 = {
  ExtendedS3DestinationConfiguration: {
    RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/firehose-delivery`,
    BucketARN: 'arn:aws:s3:::analytics-landing',
  },
};
const HOUR = 3_600_000;

/**
 * The main job on the local account: seed a realistic account, let the system find and fix it (an
 * initial sweep), drive it with live CloudTrail events (a burst of new streams, a person who keeps
 * stopping one stream's SSE), sweep again, and report each stream's outcome against what it should be.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const total = options.streams ?? 40;
  const progress = options.progress ?? (() => {});
  const rnd = random(options.seed ?? 42);
  // Virtual time: executions, the sweep and the shared pacing on one simulated timeline, with
  // Firehose's 5-calls-per-second limit on, so time to protected is what an account would see.
  const account = await LocalAccount.start({
    triggers: true,
    time: 'virtual',
    ...(options.ports ? { ports: options.ports } : {}),
    emulator: { rateLimit: {}, timings: { creatingMs: 5_000, enablingMs: 20_000, disablingMs: 10_000, deletingMs: 5_000 } },
  });
  try {
    const emulator = account.emulator.emulator;
    const startedAt = account.clock.now();
    const person = { accessKeyId: 'AKIAALICE', userAgent: 'aws-cli/1.x' };
    emulator.registerIdentity(person.accessKeyId, iamUserIdentity(LOCAL_ACCOUNT_ID, 'alice', person.accessKeyId));
    const approved = emulator.kms.createKey({ Description: 'approved SSE key' }).arn;
    const retired = emulator.kms.createKey({ Description: 'retired key' }).arn;
    account.setPolicy({
      key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [approved], fallbackToAwsOwned: true },
      exemptions: { namePatterns: ['sandbox-*'] },
    });

    const streams = plan(total, rnd);
    const existing = streams.filter((s) => s.kind !== 'burst');
    for (const { name, kind } of existing)
      emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: name, ...S3, ...creationInput(kind, { approved, retired }) });
    emulator.kms.setKeyState(retired, 'Disabled');
    // Every enablement of this stream ends in ENABLING_FAILED: its network setup is broken, which no
    // retry or other key can mend (a CONFIGURATION failure, reported with Firehose's own details).
    const broken = streams.find((s) => s.kind === 'brokenVpc') as { name: string };
    emulator.faults.failNextEnablement(
      1_000,
      { type: 'SUBNET_NOT_FOUND', details: "The subnet subnet-0c0ffee0 of the stream's VPC configuration does not exist." },
      broken.name,
    );
    account.clock.advance(30_000);
    progress(
      `seeded ${existing.length} existing streams in account ${LOCAL_ACCOUNT_ID} (${LOCAL_REGION}); policy: approved key, AWS owned key as fallback, sandbox-* exempt`,
    );

    const sweepAndSettle = async (label: string) => {
      const done = (live: boolean) =>
        progress(`${label}: ${account.starter.started} executions started, ${account.starter.reports.length} finished`, live);
      const timer = setInterval(() => done(true), 200);
      const finals = new Map<string, StreamDecision>();
      await runLocalSweep(account, { onStream: (ref: StreamRef, d) => finals.set(ref.name, d) });
      await account.drain();
      clearInterval(timer);
      done(false);
      return finals;
    };
    await sweepAndSettle('initial sweep');

    const burst = streams.filter((s) => s.kind === 'burst');
    // A person creates them as a script would, a quarter of a second apart: under the 5-per-second limit.
    for (const { name } of burst) {
      await emulator.call('firehose', 'CreateDeliveryStream', { DeliveryStreamName: name, ...S3 }, person);
      account.clock.advance(250);
    }
    account.clock.advance(10_000);
    await account.drain();
    progress(`a burst of ${burst.length} new streams: ${account.starter.reports.length} executions finished`);

    const flapping = streams.find((s) => s.kind === 'flapping') as { name: string };
    const stops = options.stops ?? 5;
    // Each Stop and our Start are two of a stream's 25 calls: after 13 Stops of the budgetSpent stream
    // the 25th call is hers, so the remediator, warned by Budget Low events on the way, defers it until
    // a call ages out. Her Stops fall in the two hours between two of the flapping stream's, so the
    // scenario takes no longer (its clock ends before 12:00, which `--serve` and the README rely on).
    const heavy = streams.find((s) => s.kind === 'budgetSpent') as { name: string };
    const heavyStops = options.heavyStops ?? 13;
    const stop = async (name: string) => {
      await emulator.call('firehose', 'StopDeliveryStreamEncryption', { DeliveryStreamName: name }, person).catch(() => undefined);
      account.clock.advance(15_000);
      await account.drain();
    };
    const rounds = Math.max(stops, 1);
    let heavyDone = 0;
    let spentInRound = 0;
    for (let i = 0; i < rounds; i += 1) {
      account.clock.advance(Math.max(0, 2 * HOUR - spentInRound));
      if (i < stops) await stop(flapping.name);
      const roundStart = account.clock.now();
      for (let n = Math.ceil((heavyStops - heavyDone) / (rounds - i)); n > 0; n -= 1, heavyDone += 1) {
        account.clock.advance(10 * 60_000);
        await stop(heavy.name);
      }
      spentInRound = account.clock.now() - roundStart;
    }
    progress(
      `alice stopped SSE on ${flapping.name} ${stops} times: ${account.events.ofKind('driftDetected').filter((e) => (e.detail as { stream: { name: string } }).stream.name === flapping.name).length} drift events`,
    );
    progress(
      `alice stopped SSE on ${heavy.name} ${heavyStops} times: ${account.events.ofKind('budgetLow').length} budget-low events, ${account.events.ofKind('remediationDeferred').some((e) => (e.detail as { stream: { name: string } }).stream.name === heavy.name) ? 'then deferred: its 25 calls are spent' : 'never deferred'}`,
    );

    account.clock.advance(HOUR);
    const finals = await sweepAndSettle('final sweep');
    const outcomes = await outcomesOf(account, streams, finals);
    const result: ScenarioResult = {
      streams: outcomes,
      events: [...account.events.events],
      executions: account.starter.reports.length,
      transitions: account.starter.reports.reduce((sum, r) => sum + r.transitions, 0),
      converged: outcomes.every((o) => o.ok),
      startedAt,
      endedAt: account.clock.now(),
    };
    await options.beforeClose?.(result, account);
    return result;
  } finally {
    await account.close();
  }
}

function creationInput(kind: StreamKind, keys: { approved: string; retired: string }): Record<string, unknown> {
  switch (kind) {
    case 'awsOwned':
      return { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } };
    case 'approvedKey':
      return { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keys.approved } };
    case 'disabledKey':
      return { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keys.retired } };
    case 'kinesis':
      return {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stream/source`,
          RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/firehose-source`,
        },
      };
    case 'msk':
      return {
        DeliveryStreamType: 'MSKAsSource',
        MSKSourceConfiguration: {
          MSKClusterARN: `arn:aws:kafka:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:cluster/events/1`,
          TopicName: 'events',
          AuthenticationConfiguration: { RoleARN: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/firehose-msk`, Connectivity: 'PRIVATE' },
        },
      };
    case 'exemptTag':
      return { Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] };
    case 'budgetSpent':
      return { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } };
    default:
      return {};
  }
}

async function outcomesOf(
  account: LocalAccount,
  streams: { name: string; kind: StreamKind }[],
  finals: Map<string, StreamDecision>,
): Promise<StreamOutcome[]> {
  const now = account.clock.now();
  const out: StreamOutcome[] = [];
  for (const { name, kind } of streams) {
    const ref = { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name };
    const state = await account.deps.states.get(ref);
    const budget = await account.deps.ledger.status(ref, now, account.deps.policy.budget.share);
    const final = finals.get(name);
    const verdict = final?.verdict ?? 'GONE';
    const spec = STREAM_KINDS[kind];
    const viaOk = spec.via === undefined || state?.verdict === spec.via;
    out.push({
      name,
      kind,
      expected: spec.expect,
      verdict,
      ...(state ? { lastOutcome: state.verdict } : {}),
      ...(state?.reason ? { lastReason: state.reason } : {}),
      callsLast24h: { ours: budget.ours, total: budget.total },
      ...(final?.verdict === 'COMPLIANT'
        ? { key: { keyType: final.keyType, ...(final.keyArn ? { keyArn: final.keyArn } : {}) }, viaFallback: final.viaFallback }
        : {}),
      ok: verdict === spec.expect && viaOk,
    });
  }
  return out;
}
