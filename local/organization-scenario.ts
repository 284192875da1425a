import type { StreamDecision, Verdict } from '../functions/domain/decision.ts';
import type { GuardEvent } from '../functions/domain/events.ts';
import { LOCAL_ACCOUNT_ID, LocalAccount } from './account.ts';
import { assumedRoleIdentity, iamUserIdentity } from './emulator/index.ts';
import { renderGuardrailPolicy } from './emulator/service-control-policy.ts';
import { runLocalOrganizationSweep } from './local-sweep.ts';
import type { ScenarioResult, StreamOutcome } from './scenario.ts';

/** The local organization: the central (security) account and two members, in two regions. */
export const ORGANIZATION_MEMBERS = ['111111111111', '222222222222'] as const;
export const ORGANIZATION_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** What each kind of stream in every account and region must end as. */
const KINDS = {
  unencrypted: { expect: 'COMPLIANT', via: 'REMEDIATED' },
  awsOwned: { expect: 'COMPLIANT', via: undefined },
  kinesis: { expect: 'NOT_APPLICABLE', via: undefined },
  exemptTag: { expect: 'EXEMPT', via: undefined },
  /** Created by a member's engineer after the first sweep: its CloudTrail event is forwarded to the central bus. */
  burst: { expect: 'COMPLIANT', via: 'REMEDIATED' },
  /** Its encryption is stopped by a break-glass role (the guardrail lets it), then remediated. */
  breakGlass: { expect: 'COMPLIANT', via: 'REMEDIATED' },
} as const satisfies Record<string, { expect: Verdict; via: string | undefined }>;
type Kind = keyof typeof KINDS;

interface Planned {
  account: string;
  region: string;
  name: string;
  kind: Kind;
}

const HOUR = 3_600_000;
const BURST_ACCOUNT = '111111111111';
const GUARDED_ACCOUNT = '222222222222';

/** Each account's and region's streams: the same mix everywhere, named after the place; extras in two members. */
function plan(): Planned[] {
  const out: Planned[] = [];
  for (const account of [LOCAL_ACCOUNT_ID, ...ORGANIZATION_MEMBERS])
    for (const region of ORGANIZATION_REGIONS) {
      const at = `${account.slice(0, 3)}-${region.replace(/-\d$/, '').replace('-', '')}`;
      out.push(
        { account, region, name: `orders-${at}`, kind: 'unencrypted' },
        { account, region, name: `clicks-${at}`, kind: 'unencrypted' },
        { account, region, name: `billing-${at}`, kind: 'awsOwned' },
        { account, region, name: `mirror-${at}`, kind: 'kinesis' },
        { account, region, name: `scratch-${at}`, kind: 'exemptTag' },
      );
    }
  out.push(
    { account: BURST_ACCOUNT, region: 'eu-west-1', name: 'signups-new', kind: 'burst' },
    { account: BURST_ACCOUNT, region: 'eu-west-1', name: 'payments-new', kind: 'burst' },
    { account: GUARDED_ACCOUNT, region: 'us-east-1', name: 'audit-trail', kind: 'breakGlass' },
  );
  return out;
}

function creationInput(stream: Planned): Record<string, unknown> {
  const s3 = {
    ExtendedS3DestinationConfiguration: {
      RoleARN: `arn:aws:iam::${stream.account}:role/firehose-delivery`,
      BucketARN: `arn:aws:s3:::landing-${stream.account}`,
    },
  };
  switch (stream.kind) {
    case 'awsOwned':
      return { ...s3, DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } };
    case 'kinesis':
      return {
        ...s3,
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: `arn:aws:kinesis:${stream.region}:${stream.account}:stream/source`,
          RoleARN: `arn:aws:iam::${stream.account}:role/firehose-source`,
        },
      };
    case 'exemptTag':
      return { ...s3, Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] };
    default:
      return s3;
  }
}

const key = (s: { account: string; region: string; name: string }) => `${s.account}/${s.region}/${s.name}`;

/**
 * `npm start -- --org`: an organization of 3 accounts × 2 regions on the embedded account. The central
 * sweep reaches the members through their member roles (STS on the emulator), members' CloudTrail
 * events are forwarded to the central bus, and the guardrail SCP refuses a person's Stop while a
 * break-glass role's goes through (and is remediated).
 */
export async function runOrganizationScenario(
  options: {
    progress?: (line: string, live?: boolean) => void;
    /** Called with the account before it closes (tests look at the emulator's CloudTrail). */
    beforeClose?: (account: LocalAccount) => Promise<void>;
  } = {},
): Promise<ScenarioResult<Kind> & { rollUps: GuardEvent<'organizationSnapshot'>[]; deniedStop: string }> {
  const progress = options.progress ?? (() => {});
  const account = await LocalAccount.start({
    triggers: true,
    time: 'virtual',
    organization: { members: ORGANIZATION_MEMBERS, regions: ORGANIZATION_REGIONS },
    emulator: { rateLimit: {}, timings: { creatingMs: 5_000, enablingMs: 20_000, disablingMs: 10_000, deletingMs: 5_000 } },
  });
  try {
    const emulator = account.emulator.emulator;
    const startedAt = account.clock.now();
    account.setPolicy({ exemptions: { tagKey: 'sse-guard:exempt' } });
    const streams = plan();
    for (const s of streams.filter((p) => p.kind !== 'burst'))
      emulator.cell(s.account, s.region).firehose.handle('CreateDeliveryStream', { DeliveryStreamName: s.name, ...creationInput(s) });
    account.clock.advance(30_000);
    progress(
      `seeded ${streams.length - 2} streams in accounts ${[LOCAL_ACCOUNT_ID, ...ORGANIZATION_MEMBERS].join(', ')} × ${ORGANIZATION_REGIONS.join(', ')}; members reached through ${'firehose-sse-guard-local-member'}`,
    );

    const sweep = async (label: string) => {
      const finals = new Map<string, StreamDecision>();
      const { rollUp } = await runLocalOrganizationSweep(account, { onStream: (ref, d) => finals.set(key(ref), d) });
      await account.drain();
      const t = rollUp.detail;
      progress(
        `${label}: ${t.targets} accounts and regions, ${t.totals.streams} streams, ${t.totals.REMEDIATE} to remediate, ${t.failed.length} failed targets; ${account.starter.reports.length} executions finished`,
      );
      return { finals, rollUp };
    };
    const first = await sweep('organization sweep');

    // A member's engineer creates two streams; the member's rule forwards the CloudTrail events.
    const engineer = { accessKeyId: 'AKIAMEMBERDEV', region: 'eu-west-1', userAgent: 'aws-cli/1.x' };
    emulator.registerIdentity(engineer.accessKeyId, iamUserIdentity(BURST_ACCOUNT, 'dev', engineer.accessKeyId));
    for (const s of streams.filter((p) => p.kind === 'burst')) {
      await emulator.call('firehose', 'CreateDeliveryStream', { DeliveryStreamName: s.name, ...creationInput(s) }, engineer);
      account.clock.advance(250);
    }
    account.clock.advance(10_000);
    await account.drain();
    progress(`${BURST_ACCOUNT} created 2 streams in eu-west-1: forwarded, ${account.starter.reports.length} executions finished`);

    // The guardrail: a person's Stop is refused; the break-glass role's goes through, and is remediated.
    emulator.serviceControlPolicies.attach(renderGuardrailPolicy());
    const guarded = streams.find((s) => s.kind === 'breakGlass') as Planned;
    const person = { accessKeyId: 'AKIAMEMBEROPS', region: guarded.region };
    emulator.registerIdentity(person.accessKeyId, iamUserIdentity(GUARDED_ACCOUNT, 'ops', person.accessKeyId));
    const deniedStop = await emulator
      .call('firehose', 'StopDeliveryStreamEncryption', { DeliveryStreamName: guarded.name }, person)
      .then(() => 'not denied')
      .catch((error: Error & { type?: string }) => `${error.type ?? error.name}: ${error.message}`);
    progress(`guardrail: ops in ${GUARDED_ACCOUNT} stopping SSE on ${guarded.name}: ${deniedStop}`);
    const breakGlass = { accessKeyId: 'ASIABREAKGLASS', region: guarded.region };
    const breakGlassRole = `arn:aws:iam::${GUARDED_ACCOUNT}:role/break-glass-oncall`;
    emulator.registerIdentity(breakGlass.accessKeyId, assumedRoleIdentity(breakGlassRole, 'incident-42', breakGlass.accessKeyId));
    account.clock.advance(HOUR);
    await emulator.call('firehose', 'StopDeliveryStreamEncryption', { DeliveryStreamName: guarded.name }, breakGlass);
    account.clock.advance(15_000);
    await account.drain();
    progress(`guardrail: ${breakGlassRole} stopped it (allowed); ${account.events.ofKind('driftDetected').length} drift event(s)`);

    account.clock.advance(HOUR);
    const last = await sweep('final organization sweep');
    const outcomes: (StreamOutcome<Kind> & { account: string; region: string })[] = [];
    const now = account.clock.now();
    for (const s of streams) {
      const ref = { account: s.account, region: s.region, name: s.name };
      const state = await account.deps.states.get(ref);
      const budget = await account.deps.ledger.status(ref, now, account.deps.policy.budget.share);
      const verdict = last.finals.get(key(s))?.verdict ?? 'GONE';
      const spec = KINDS[s.kind];
      outcomes.push({
        account: s.account,
        region: s.region,
        name: s.name,
        kind: s.kind,
        expected: spec.expect,
        verdict,
        ...(state ? { lastOutcome: state.verdict } : {}),
        ...(state?.reason ? { lastReason: state.reason } : {}),
        callsLast24h: { ours: budget.ours, total: budget.total },
        ok: verdict === spec.expect && (spec.via === undefined || state?.verdict === spec.via),
      });
    }
    outcomes.sort((a, b) => key(a).localeCompare(key(b)));
    await options.beforeClose?.(account);
    return {
      streams: outcomes,
      events: [...account.events.events],
      executions: account.starter.reports.length,
      transitions: account.starter.reports.reduce((sum, r) => sum + r.transitions, 0),
      converged: outcomes.every((o) => o.ok) && deniedStop.startsWith('AccessDeniedException') && last.rollUp.detail.failed.length === 0,
      startedAt,
      endedAt: account.clock.now(),
      rollUps: [first.rollUp, last.rollUp],
      deniedStop,
    };
  } finally {
    await account.close();
  }
}
