import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args.ts';
import { sweepCommand } from '../../cli/sweep-command.ts';
import { iamUserIdentity, serveEmulator, type CloudTrailEvent, type RunningEmulator } from '../../local/emulator/index.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';

const root = new URL('../..', import.meta.url).pathname;
const HOME = '111111111111';
const MEMBERS = ['222222222222', '333333333333'];
const UNTRUSTED = '444444444444';
const REGIONS = ['us-east-1', 'eu-west-1'];
/** The caller: an IAM user of the management account, whom every member role trusts. */
const CALLER_KEY = 'AKIAORGANIZATIONCI';
const CALLER_ARN = `arn:aws:iam::${HOME}:user/ci`;
const memberRole = (account: string) => `arn:aws:iam::${account}:role/firehose-sse-guard-prod-member`;
const CALLER_ENV = { AWS_ACCESS_KEY_ID: CALLER_KEY, AWS_SECRET_ACCESS_KEY: 'local-secret' };
/** What the environment of the user's shell might carry, and these tests set themselves. */
const AWS_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
];

interface SweepJson {
  accounts: string[];
  regions: string[];
  mode: string;
  summary: { NON_COMPLIANT: number; ERROR: number; notSwept: number };
  streams: { account: string; region: string; name: string; status: string; verdict: string; outcome?: string }[];
  failed: { account: string; region?: string; error: string }[];
}

/**
 * An organization on the emulator: the management account (home) and two members whose
 * firehose-sse-guard-prod-member role trusts the caller, optionally a third whose role trusts someone
 * else; in each account and region an unencrypted `orders` and an encrypted `audit`.
 */
async function organization(options: { untrusted?: boolean; memberRegions?: string[] } = {}): Promise<RunningEmulator> {
  const running = await serveEmulator({
    port: 0,
    account: HOME,
    rateLimit: false,
    timings: { creatingMs: 0, enablingMs: 300, disablingMs: 0 },
  });
  const e = running.emulator;
  e.registerIdentity(CALLER_KEY, iamUserIdentity(HOME, 'ci', CALLER_KEY));
  const members = options.untrusted ? [...MEMBERS, UNTRUSTED] : MEMBERS;
  for (const member of members) {
    e.addAccount(member, options.memberRegions ? { regions: options.memberRegions } : {});
    e.addRole(memberRole(member), {
      trustedPrincipalArns: [member === UNTRUSTED ? `arn:aws:iam::${HOME}:role/someone-else` : CALLER_ARN],
    });
  }
  for (const account of [HOME, ...members])
    for (const region of REGIONS) {
      const firehose = e.cell(account, region).firehose;
      firehose.handle('CreateDeliveryStream', { DeliveryStreamName: 'orders', ...S3_DESTINATION });
      firehose.handle('CreateDeliveryStream', {
        DeliveryStreamName: 'audit',
        ...S3_DESTINATION,
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      });
    }
  return running;
}

/** Runs `sweep` in process, as `firehose-sse-guard sweep` would: stdout lines, stderr lines, exit code. */
async function sweep(argv: string[]): Promise<{ code: number; stdout: string; stderr: string[] }> {
  const lines: string[] = [];
  const stderr: string[] = [];
  const code = await sweepCommand(
    argv,
    (line) => lines.push(line),
    (line) => stderr.push(line),
  );
  return { code, stdout: lines.join('\n'), stderr };
}

/** Runs the installed command (cli/bin.js) in a child process, with only the given AWS variables. */
function bin(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const outer = Object.fromEntries(Object.entries(process.env).filter(([k]) => !AWS_VARIABLES.includes(k)));
  return new Promise((resolve) => {
    execFile('node', ['cli/bin.js', ...args], { cwd: root, env: { ...outer, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const byWhom = (events: CloudTrailEvent[]) => events.map((e) => (e.detail.userIdentity as { arn: string }).arn);

describe('firehose-sse-guard sweep --org, --role-arn, --profile against an organization on the emulator', () => {
  let running: RunningEmulator | undefined;
  const saved = { ...process.env };
  beforeEach(() => {
    for (const name of AWS_VARIABLES) delete process.env[name];
    Object.assign(process.env, CALLER_ENV);
  });
  afterEach(async () => {
    process.env = { ...saved };
    await running?.close();
    running = undefined;
  });

  it('--org --json (the installed command, as CI runs it) sweeps every account and region, grouped, and exits 1 while streams are unencrypted', async () => {
    running = await organization();
    const args = ['sweep', '--org', '--endpoint-url', running.endpoint, '--region', 'us-east-1', '--region', 'eu-west-1', '--json'];

    const { code, stdout, stderr } = await bin(args, CALLER_ENV);

    expect(stderr).toBe('');
    expect(code).toBe(1);
    const json = JSON.parse(stdout) as SweepJson;
    expect(json).toMatchObject({
      accounts: [HOME, ...MEMBERS],
      regions: REGIONS,
      mode: 'dry-run',
      summary: { NON_COMPLIANT: 6 },
      failed: [],
    });
    // Grouped by account, then region (eu-west-1 before us-east-1), then name.
    expect(json.streams.map((s) => `${s.account}/${s.region}/${s.name}:${s.verdict}`)).toEqual(
      [HOME, ...MEMBERS].flatMap((a) => [
        `${a}/eu-west-1/audit:COMPLIANT`,
        `${a}/eu-west-1/orders:REMEDIATE`,
        `${a}/us-east-1/audit:COMPLIANT`,
        `${a}/us-east-1/orders:REMEDIATE`,
      ]),
    );
    // Each member was read as its member role (one session per account), the home account as the caller.
    const e = running.emulator;
    const session = `arn:aws:sts::${MEMBERS[0]}:assumed-role/firehose-sse-guard-prod-member/firehose-sse-guard-cli`;
    expect(byWhom(e.cell(MEMBERS[0], 'eu-west-1').cloudTrail.events({ eventName: 'ListDeliveryStreams' }))).toEqual([session]);
    expect(byWhom(e.cell(HOME, 'eu-west-1').cloudTrail.events({ eventName: 'ListDeliveryStreams' }))).toEqual([CALLER_ARN]);
    expect(e.cell(HOME, 'us-east-1').cloudTrail.events({ eventName: 'ListAccounts' })).toHaveLength(1);
    expect(
      e
        .cell(HOME, 'us-east-1')
        .cloudTrail.events({ eventName: 'AssumeRole' })
        .map((a) => a.detail.errorCode ?? 'ok'),
    ).toEqual(['ok', 'ok']);
  }, 60_000);

  it('a member whose role does not trust the caller is one line naming the account; the others are swept, and the exit code is 3', async () => {
    running = await organization({ untrusted: true });

    const { code, stdout, stderr } = await sweep(['--org', '--endpoint-url', running.endpoint, '--region', 'us-east-1', '--json']);

    const json = JSON.parse(stdout) as SweepJson;
    const refusal =
      `cannot assume ${memberRole(UNTRUSTED)}: User: ${CALLER_ARN} is not authorized to perform: sts:AssumeRole ` +
      `on resource: ${memberRole(UNTRUSTED)}`;
    // A hole in the result wins over its findings.
    expect(code).toBe(3);
    expect(json.accounts).toEqual([HOME, ...MEMBERS, UNTRUSTED]);
    expect(json.failed).toEqual([{ account: UNTRUSTED, error: refusal }]);
    expect(stderr).toEqual([`firehose-sse-guard: account ${UNTRUSTED} not swept: ${refusal}`]);
    expect(new Set(json.streams.map((s) => s.account))).toEqual(new Set([HOME, ...MEMBERS]));
    expect(json.streams).toHaveLength(6);

    // Text output: the summary says so too.
    const text = await sweep(['--org', '--endpoint-url', running.endpoint, '--region', 'us-east-1']);
    expect(text.stdout.split('\n').at(-1)).toBe('6 streams: 3 COMPLIANT, 3 NON_COMPLIANT; 1 account not swept, or not in every region');
    expect(text.stdout).toMatch(
      new RegExp(`^${MEMBERS[1]}\\s+us-east-1\\s+orders\\s+NON_COMPLIANT\\s+ENCRYPTION_DISABLED\\s+would remediate`, 'm'),
    );
  }, 60_000);

  it('--role-arn sweeps only the role’s account, as the role', async () => {
    running = await organization();
    const [member] = MEMBERS as [string];

    const { code, stdout } = await sweep([
      '--role-arn',
      memberRole(member),
      '--endpoint-url',
      running.endpoint,
      '--region',
      'us-east-1',
      '--region',
      'eu-west-1',
      '--json',
    ]);

    const json = JSON.parse(stdout) as SweepJson;
    expect(code).toBe(1);
    expect(json).toMatchObject({ accounts: [member], summary: { NON_COMPLIANT: 2 }, failed: [] });
    expect(json.streams.map((s) => `${s.account}/${s.region}/${s.name}`)).toEqual([
      `${member}/eu-west-1/audit`,
      `${member}/eu-west-1/orders`,
      `${member}/us-east-1/audit`,
      `${member}/us-east-1/orders`,
    ]);
    expect(running.emulator.cell(HOME, 'us-east-1').cloudTrail.events({ eventName: 'ListAccounts' })).toHaveLength(0);
  }, 60_000);

  it("--profile takes the profile's keys (its account) and its region, with no --region", async () => {
    running = await organization();
    const auditor = MEMBERS[1] as string;
    running.emulator.registerIdentity('AKIAPROFILEAUDITOR', iamUserIdentity(auditor, 'auditor', 'AKIAPROFILEAUDITOR'));
    const dir = mkdtempSync(join(tmpdir(), 'fsg-profile-'));
    writeFileSync(join(dir, 'config'), '[profile audit]\nregion = eu-west-1\n[profile regionless]\noutput = json\n');
    writeFileSync(
      join(dir, 'credentials'),
      '[audit]\naws_access_key_id = AKIAPROFILEAUDITOR\naws_secret_access_key = s\n[regionless]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n',
    );
    for (const name of AWS_VARIABLES) delete process.env[name];
    Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });

    const { code, stdout } = await sweep(['--profile', 'audit', '--endpoint-url', running.endpoint, '--json']);

    const json = JSON.parse(stdout) as SweepJson;
    expect(code).toBe(1);
    expect(json).toMatchObject({ accounts: [auditor], regions: ['eu-west-1'], summary: { NON_COMPLIANT: 1 } });
    expect(json.streams.map((s) => `${s.account}/${s.region}/${s.name}`)).toEqual([
      `${auditor}/eu-west-1/audit`,
      `${auditor}/eu-west-1/orders`,
    ]);
    const listed = running.emulator.cell(auditor, 'eu-west-1').cloudTrail.events({ eventName: 'ListDeliveryStreams' });
    expect(byWhom(listed)).toEqual([`arn:aws:iam::${auditor}:user/auditor`]);
    await expect(sweep(['--profile', 'regionless', '--endpoint-url', running.endpoint])).rejects.toThrow(
      new UsageError('--profile regionless: the profile names no region (set region in the AWS config file, or pass --region)'),
    );
    await expect(sweep(['--profile', 'nobody', '--endpoint-url', running.endpoint])).rejects.toThrow(
      /^--profile nobody: Could not resolve credentials using profile: \[nobody\]/,
    );
  }, 60_000);

  it('--fix --no-ledger --org remediates every member stream through its member role, and exits 0', async () => {
    running = await organization();

    const { code, stdout } = await sweep([
      '--org',
      '--fix',
      '--no-ledger',
      '--poll-seconds',
      '1',
      '--endpoint-url',
      running.endpoint,
      '--region',
      'us-east-1',
      '--region',
      'eu-west-1',
      '--json',
    ]);

    const json = JSON.parse(stdout) as SweepJson;
    expect(code).toBe(0);
    expect(json).toMatchObject({ mode: 'fix', summary: { NON_COMPLIANT: 0 }, failed: [] });
    expect(json.streams.filter((s) => s.name === 'orders').map((s) => s.outcome)).toEqual(Array(6).fill('REMEDIATED'));
    const e = running.emulator;
    for (const account of [HOME, ...MEMBERS])
      for (const region of REGIONS) {
        expect(e.cell(account, region).firehose.stream('orders').encryption.status).toBe('ENABLED');
        const starts = e.cell(account, region).cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' });
        expect(starts).toHaveLength(1);
        expect(starts[0]?.detail.userIdentity).toMatchObject(
          account === HOME
            ? { type: 'IAMUser', arn: CALLER_ARN }
            : {
                type: 'AssumedRole',
                arn: `arn:aws:sts::${account}:assumed-role/firehose-sse-guard-prod-member/firehose-sse-guard-cli`,
                sessionContext: { sessionIssuer: { arn: memberRole(account) } },
              },
        );
      }
  }, 90_000);

  it("--org --all-regions sweeps each account's enabled regions (Account Management ListRegions, as the member role)", async () => {
    running = await organization({ memberRegions: REGIONS });

    const { code, stdout } = await sweep(['--org', '--all-regions', '--endpoint-url', running.endpoint, '--json']);

    const json = JSON.parse(stdout) as SweepJson;
    expect(code).toBe(1);
    expect(json.failed).toEqual([]);
    expect(json.regions).toEqual(expect.arrayContaining(['eu-west-1', 'us-east-1', 'ap-south-1']));
    expect(json.summary.NON_COMPLIANT).toBe(6);
    const e = running.emulator;
    for (const member of MEMBERS) {
      const [listed] = e.cell(member, 'us-east-1').cloudTrail.events({ eventName: 'ListRegions' });
      expect(listed?.detail.userIdentity).toMatchObject({ sessionContext: { sessionIssuer: { arn: memberRole(member) } } });
      // Nothing was asked of the regions the member has not enabled.
      const touched = e.cells().filter((c) => c.account === member && c.cloudTrail.events({ eventName: 'ListDeliveryStreams' }).length > 0);
      expect(touched.map((c) => c.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    }
    expect(e.cell(HOME, 'ap-south-1').cloudTrail.events({ eventName: 'ListDeliveryStreams' })).toHaveLength(1);

    // A region named with --region that a member has not enabled: that account and region is reported, the rest swept.
    const partly = await sweep(['--org', '--endpoint-url', running.endpoint, '--region', 'ap-south-1', '--region', 'eu-west-1', '--json']);
    const refusals = MEMBERS.map(
      (account) =>
        `firehose-sse-guard: account ${account} in ap-south-1 not swept: ListDeliveryStreams ${account}/ap-south-1: ` +
        `UnrecognizedClientException: The security token included in the request is invalid. (is ap-south-1 enabled in ${account}?)`,
    );
    expect(partly.stderr).toEqual(refusals);
    expect((JSON.parse(partly.stdout) as SweepJson).streams).toHaveLength(6);
    expect(partly.code).toBe(3);
  }, 90_000);

  it('--org from a member account, or outside an organization, is one line saying why', async () => {
    running = await organization();
    running.emulator.registerIdentity('AKIAMEMBERDEV', iamUserIdentity(MEMBERS[0] as string, 'dev', 'AKIAMEMBERDEV'));
    process.env.AWS_ACCESS_KEY_ID = 'AKIAMEMBERDEV';

    const refused = await sweep(['--org', '--endpoint-url', running.endpoint]).catch((error: Error) => error);

    expect(refused).toBeInstanceOf(Error);
    expect(refused).not.toBeInstanceOf(UsageError);
    expect((refused as Error).message).toBe(
      `--org: cannot list the organization's accounts: You don't have permissions to access this resource. ` +
        `(the credentials act in ${MEMBERS[0]}: run --org as the management account or a delegated administrator)`,
    );
    await running.close();
    running = await serveEmulator({ port: 0, account: HOME, organization: false });
    await expect(sweep(['--org', '--endpoint-url', running.endpoint])).rejects.toThrow(
      `--org: cannot list the organization's accounts: Your account is not a member of an organization. (account ${HOME} is in no organization: sweep it without --org)`,
    );
  }, 60_000);

  it('--endpoint-url still works where STS does not answer: the emulator health path names the account', async () => {
    running = await organization();
    running.emulator
      .cell(HOME, 'eu-west-1')
      .faults.failNext('GetCallerIdentity', 2, { type: 'InvalidAction', message: 'Could not find operation GetCallerIdentity' });

    const { code, stdout } = await sweep(['--endpoint-url', running.endpoint, '--region', 'eu-west-1', '--json']);

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ accounts: [HOME], regions: ['eu-west-1'], summary: { NON_COMPLIANT: 1 } });
    expect(running.emulator.cell(HOME, 'eu-west-1').cloudTrail.events({ eventName: 'GetCallerIdentity' })[0]?.detail.errorCode).toBe(
      'InvalidAction',
    );
  }, 60_000);

  it('usage errors are one line, exit code 2, before any call', async () => {
    const usage: [string[], string][] = [
      [['--org', '--role-arn', memberRole(MEMBERS[0] as string)], '--role-arn and --org exclude each other'],
      [
        ['--role-arn', 'arn:aws:iam::2222:role/firehose-sse-guard-prod-member'],
        "--role-arn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>), got 'arn:aws:iam::2222:role/firehose-sse-guard-prod-member'",
      ],
      [
        ['--role-arn', 'arn:aws:iam::222222222222:user/ci'],
        "--role-arn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>), got 'arn:aws:iam::222222222222:user/ci'",
      ],
      [['--member-role-name', 'other-member'], '--member-role-name goes with --org'],
      [['--org', '--member-role-name', 'no spaces'], "--member-role-name is not a role name: 'no spaces'"],
      [['--endpoint-url', 'localhost 4566'], "--endpoint-url must be an http:// or https:// URL, got 'localhost 4566'"],
      [['--endpoint-url', 'ftp://127.0.0.1:4566'], "--endpoint-url must be an http:// or https:// URL, got 'ftp://127.0.0.1:4566'"],
    ];
    for (const [argv, message] of usage) await expect(sweep(argv), argv.join(' ')).rejects.toThrow(new UsageError(message));

    const { code, stdout, stderr } = await bin(['sweep', '--org', '--role-arn', memberRole(MEMBERS[0] as string)], CALLER_ENV);
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'firehose-sse-guard: --role-arn and --org exclude each other\n',
    });
  }, 60_000);
});
