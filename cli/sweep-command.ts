import { readFileSync } from 'node:fs';
import {
  assumedRole,
  callerAccount,
  callerSetup,
  DEFAULT_MEMBER_ROLE_NAME,
  organizationTargets,
  ROLE_ARN_PATTERN,
  type SweepTarget,
} from './identity.ts';
import { CONTROL_PLANE_CALLS_PER_SECOND } from '../functions/domain/firehose-facts.ts';
import { parsePolicy } from '../functions/domain/policy.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { runSweep, type SweepRunResult } from './sweep-run.ts';
import { PACED_CALLS_PER_SECOND } from '../functions/domain/pacing.ts';
import { endpointOption, probeEndpoint } from './endpoint.ts';
import { OUTPUT_FORMATS, outputFormat } from './formats.ts';
import { writeResult } from './output.ts';
import { cliResult, exitCodesHelp, sweepStatus, type CliResult } from './result.ts';
import { terminalProgress } from './progress.ts';
import { onInterrupt, RemediationsInFlight } from './interrupt.ts';

/** Regions where Amazon Data Firehose runs (the endpoints page, 2026); --all-regions sweeps each that answers. */
export const FIREHOSE_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'sa-east-1',
];

export const sweepHelp = `Usage: firehose-sse-guard sweep [options]

Audits (or fixes) every Amazon Data Firehose stream of an account: DirectPut streams without SSE, with a
failed SSE, or with a key the policy does not accept. Uses the default AWS credential chain, or any
endpoint (--endpoint-url, e.g. firehose-sse-guard emulator). stdout carries only the output (--output);
logs, progress and errors go to stderr. A stream, region or account that cannot be read is reported
(a row with status ERROR, an entry of "failed", one stderr line) and the others are swept all the same.
${exitCodesHelp}

Options:
  --region R              a region to sweep (repeatable; default: AWS_REGION, the profile's, or us-east-1)
  --all-regions           every region where Firehose runs (with --org: those each account has enabled,
                          per Account Management ListRegions)
  --endpoint-url URL      talk to this endpoint instead of AWS (Firehose, KMS, STS, Organizations, Account)
  --dry-run               report only (the default)
  --fix                   remediate with the remediation state machine (run locally, with real waits),
                          spending budget through the deployed system's DynamoDB ledger (--table)
  --table NAME            the budget ledger table of the deployed system (required with --fix)
  --dynamodb-endpoint-url URL   DynamoDB endpoint of that table (testing)
  --no-ledger             with --fix and no --table: use a throwaway ledger. Unsafe: the deployed
                          system and this run cannot see each other's calls of the 25-per-day budget
  --policy FILE           the policy as JSON (see README, Configuration); default: any SSE is compliant
  --account ID            the account id (default: from STS GetCallerIdentity, or from the emulator)
  --profile P             the profile's credentials, and its region unless --region is given (~/.aws/config)
  --role-arn ARN          sweep the role's account, as that role (assumed from your credentials)
  --org                   sweep every ACTIVE account of your organization (Organizations ListAccounts), each
                          through its member role (infra/organization-member.yml); your own account as you
  --member-role-name N    the member role's name with --org (default ${DEFAULT_MEMBER_ROLE_NAME}: the prod stage's)
  --rate N                Firehose calls per second per operation, shared with the deployed system
                          through --table (default ${PACED_CALLS_PER_SECOND}, at most ${CONTROL_PLANE_CALLS_PER_SECOND})
  --poll-seconds N        first wait after Start when fixing (default 10)
  --concurrency N         remediations at once with --fix (default: derived from --rate and --poll-seconds)
  --output F              ${OUTPUT_FORMATS.join(', ')} (default table): json is the schema of
                          cli/result.schema.json, shared with status; asff: Security Hub findings,
                          the input of aws securityhub batch-import-findings --cli-input-json
  --json                  the same as --output json
  -h, --help              show this help`;

/** STS's answer; where STS does not answer, the account behind an emulator endpoint (its health path); --account wins. */
async function accountOf(
  explicit: string | undefined,
  endpointUrl: string | undefined,
  stsAccount: () => Promise<string>,
): Promise<string> {
  if (explicit) {
    if (!/^\d{12}$/.test(explicit)) throw new UsageError(`--account must be 12 digits, got '${explicit}'`);
    return explicit;
  }
  try {
    return await stsAccount();
  } catch (error) {
    // An emulator without STS (older ones) still says whose account it serves.
    const health = endpointUrl
      ? await fetch(new URL('/_emulator/health', endpointUrl))
          .then((r) => (r.ok ? (r.json() as Promise<{ account?: unknown }>) : undefined))
          .catch(() => undefined)
      : undefined;
    if (typeof health?.account === 'string' && /^\d{12}$/.test(health.account)) return health.account;
    throw error;
  }
}

const writeError = (line: string): void => void process.stderr.write(`${line}\n`);

export async function sweepCommand(argv: string[], out: (line: string) => void, err: (line: string) => void = writeError): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    region: { type: 'string', multiple: true },
    'all-regions': { type: 'boolean' },
    'endpoint-url': { type: 'string' },
    'dry-run': { type: 'boolean' },
    fix: { type: 'boolean' },
    table: { type: 'string' },
    'dynamodb-endpoint-url': { type: 'string' },
    'no-ledger': { type: 'boolean' },
    policy: { type: 'string' },
    account: { type: 'string' },
    rate: { type: 'string' },
    'poll-seconds': { type: 'string' },
    json: { type: 'boolean' },
    output: { type: 'string' },
    concurrency: { type: 'string' },
    profile: { type: 'string' },
    'role-arn': { type: 'string' },
    org: { type: 'boolean' },
    'member-role-name': { type: 'string' },
  });
  if (values.help) {
    out(sweepHelp);
    return 0;
  }
  const format = outputFormat(values);
  if (values.fix && values['dry-run']) throw new UsageError('--fix and --dry-run exclude each other');
  if (values.fix && !values.table && !values['no-ledger']) {
    throw new UsageError(
      '--fix spends the 25-calls-a-day budget: name the deployed ledger with --table, or pass --no-ledger to use a throwaway one',
    );
  }
  const explicitRegions = (values.region as string[] | undefined) ?? [];
  if (values['all-regions'] && explicitRegions.length > 0) throw new UsageError('--region and --all-regions exclude each other');
  for (const r of explicitRegions) if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) throw new UsageError(`not a region: '${r}'`);
  const exclusive = (['role-arn', 'org', 'account'] as const).filter((flag) => values[flag] !== undefined);
  if (exclusive.length > 1) throw new UsageError(`${exclusive.map((f) => `--${f}`).join(' and ')} exclude each other`);
  const roleArn = values['role-arn'] as string | undefined;
  if (roleArn !== undefined && !ROLE_ARN_PATTERN.test(roleArn))
    throw new UsageError(`--role-arn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>), got '${roleArn}'`);
  if (values['member-role-name'] !== undefined && !values.org) throw new UsageError('--member-role-name goes with --org');
  const memberRoleName = (values['member-role-name'] as string | undefined) ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!/^[\w+=,.@-]{1,64}$/.test(memberRoleName)) throw new UsageError(`--member-role-name is not a role name: '${memberRoleName}'`);
  const endpointUrl = endpointOption(values['endpoint-url'], 'endpoint-url');
  const dynamodbEndpointUrl = endpointOption(values['dynamodb-endpoint-url'], 'dynamodb-endpoint-url');
  const concurrency = integerOption(values.concurrency, 'concurrency', 1, 1_000);
  if (concurrency !== undefined && !values.fix) throw new UsageError('--concurrency goes with --fix (the remediations at once)');
  const rate = values.rate === undefined ? PACED_CALLS_PER_SECOND : Number(values.rate);
  if (!(rate > 0 && rate <= CONTROL_PLANE_CALLS_PER_SECOND))
    throw new UsageError(`--rate must be above 0 and at most ${CONTROL_PLANE_CALLS_PER_SECOND}`);
  let policy;
  try {
    policy = parsePolicy(values.policy ? (JSON.parse(readFileSync(values.policy as string, 'utf8')) as unknown) : {});
  } catch (error) {
    throw new UsageError(`--policy: ${(error as Error).message}`);
  }
  const pollSeconds = integerOption(values['poll-seconds'], 'poll-seconds', 1, 3_600);
  if (endpointUrl) await probeEndpoint(endpointUrl, 'endpoint-url');
  if (dynamodbEndpointUrl && values.fix) await probeEndpoint(dynamodbEndpointUrl, 'dynamodb-endpoint-url');
  const profile = values.profile as string | undefined;
  const setup = await callerSetup({
    ...(profile ? { profile } : {}),
    ...(endpointUrl ? { endpointUrl } : {}),
    ...(explicitRegions[0] ? { region: explicitRegions[0] } : {}),
  });
  const home = setup.home;
  const regions = values['all-regions'] ? FIREHOSE_REGIONS : explicitRegions.length > 0 ? explicitRegions : [home];
  let plan: { targets: SweepTarget[]; close(): void };
  if (values.org) plan = await organizationTargets(setup, memberRoleName, values['all-regions'] ? FIREHOSE_REGIONS : undefined);
  else if (roleArn) {
    const credentials = assumedRole(setup, roleArn);
    plan = { targets: [{ account: roleArn.split(':')[4] as string, credentials, roleArn }], close: () => undefined };
  } else {
    const account = await accountOf(values.account as string | undefined, endpointUrl, () => callerAccount(setup));
    plan = { targets: [{ account, ...(setup.credentials ? { credentials: setup.credentials } : {}) }], close: () => undefined };
  }
  const accounts = plan.targets.map((t) => t.account);
  const progress = terminalProgress();
  const inFlight = new RemediationsInFlight();
  const stopListening = onInterrupt(() => inFlight.lines(values.fix === true));
  let result: SweepRunResult;
  try {
    result = await runSweep({
      targets: plan.targets,
      regions,
      ...(setup.credentials ? { credentials: setup.credentials } : {}),
      ...(profile ? { profile } : {}),
      ...(endpointUrl ? { endpointUrl } : {}),
      fix: values.fix === true,
      policy,
      ...(values.table
        ? {
            table: {
              name: values.table as string,
              region: home,
              ...(dynamodbEndpointUrl ? { endpointUrl: dynamodbEndpointUrl } : {}),
            },
          }
        : {}),
      ...(pollSeconds ? { settings: { pollSeconds } } : {}),
      callsPerSecond: rate,
      ...(concurrency ? { concurrency } : {}),
      ...(progress ? { progress } : {}),
      onWorkflow: inFlight.note,
    });
  } finally {
    plan.close();
    stopListening();
    progress?.done();
  }
  // One line per stream, account or region not swept, on stderr: the output on stdout lists them too.
  for (const s of result.streams.filter((row) => row.error !== undefined))
    err(`firehose-sse-guard: stream ${s.account}/${s.region}/${s.name} not evaluated: ${s.error ?? ''}`);
  for (const f of result.failed) err(`firehose-sse-guard: account ${f.account}${f.region ? ` in ${f.region}` : ''} not swept: ${f.error}`);
  const output = sweepResult(result, accounts, values.fix === true);
  writeResult(output, format, out);
  return output.exitCode;
}

/** The sweep's rows in the shared result shape: where each stream stands, and what was done. */
export function sweepResult(run: SweepRunResult, accounts: string[], fix: boolean): CliResult {
  return cliResult({
    command: 'sweep',
    mode: fix ? 'fix' : 'dry-run',
    accounts,
    regions: run.regions,
    failed: run.failed,
    streams: run.streams.map((s) => ({
      account: s.account,
      region: s.region,
      name: s.name,
      status: sweepStatus(s.verdict, s.outcome, s.error),
      // A stream that could not be read has no verdict (the sweep saw it as gone).
      ...(s.error ? {} : { verdict: s.verdict }),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.outcome ? { outcome: s.outcome } : {}),
      ...(s.outcomeReason ? { outcomeReason: s.outcomeReason } : {}),
      ...(s.key ? { key: s.key } : {}),
      ...(s.error ? { error: s.error } : {}),
    })),
  });
}
