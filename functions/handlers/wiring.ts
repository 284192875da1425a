import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { firehoseClients, SdkFirehoseGateway } from '../adapters/firehose-gateway.ts';
import { keyedCache } from '../adapters/keyed-cache.ts';
import { SdkKeyInspector } from '../adapters/kms-key-inspector.ts';
import { DynamoBudgetLedger } from '../adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../adapters/dynamo/lease-store.ts';
import { DynamoKeyFailureStore } from '../adapters/dynamo/key-failure-store.ts';
import { EventBridgeRetryScheduler } from '../adapters/retry-scheduler.ts';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { stateTable, type StateTable } from '../adapters/dynamo/state-table.ts';
import { DynamoControlPlanePacer } from '../adapters/dynamo/pacer.ts';
import { DynamoStreamStateStore } from '../adapters/dynamo/stream-state-store.ts';
import { loadConfig, type GuardConfig } from '../config.ts';
import type { CheckDeps, ConcludeDeps, EnableDeps, InspectDeps } from '../domain/remediation/deps.ts';
import type { IntakeDeps } from '../domain/intake/intake.ts';
import type { DeploymentScope } from '../domain/intake/scope.ts';
import type { DeadLetterQueue, RetryScheduler } from '../domain/ports.ts';
import { InvalidConfigurationError } from '../domain/errors.ts';
import { partitionOf } from '../domain/firehose-facts.ts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { StepFunctionsStarter } from '../adapters/step-functions-starter.ts';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.ts';
import { SWEEP_TUNING } from '../domain/sweep/sweep.ts';
import { sleep } from '../adapters/sleep.ts';
import { AccountClient } from '@aws-sdk/client-account';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SdkAccountDirectory } from '../adapters/account-directory.ts';
import { DynamoSweepResults } from '../adapters/dynamo/sweep-results.ts';
import { StepFunctionsSweepRuns } from '../adapters/sweep-runs.ts';
import { SSMClient } from '@aws-sdk/client-ssm';
import { claimValue, SsmEnforcementClaims } from '../adapters/enforcement-claims.ts';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SecurityHubFindingSink } from '../adapters/security-hub.ts';
import type { FindingSink } from '../domain/findings.ts';

/**
 * Credentials for an account: the function's own for the home account; in an organization, those of
 * the member role (`FSG_MEMBER_ROLE_NAME`, deployed by infra/organization-member.yml) in the stream's
 * account. Credentials are fresh (under an hour), as Firehose's KMS grant needs (at most 6 hours old).
 */
function credentialsFor(account: string, region: string): ReturnType<typeof fromTemporaryCredentials> | undefined {
  const home = process.env.FSG_HOME_ACCOUNT_ID;
  const memberRole = process.env.FSG_MEMBER_ROLE_NAME;
  if (!home || account === home || !memberRole) return undefined;
  return fromTemporaryCredentials({
    params: { RoleArn: memberRoleArn(account, region, memberRole), RoleSessionName: 'firehose-sse-guard', DurationSeconds: 3600 },
  });
}

/** The member role in an account, in the partition of the region the call goes to (not always `aws`). */
export const memberRoleArn = (account: string, region: string, roleName: string): string =>
  `arn:${partitionOf(region)}:iam::${account}:role/${roleName}`;

/** One Firehose client pair per account and region, created on first use. */
function regionalGateway(): SdkFirehoseGateway {
  const clients = keyedCache((key) => {
    const [account, region] = key.split('/') as [string, string];
    const credentials = credentialsFor(account, region);
    return firehoseClients({ region, ...(credentials ? { credentials } : {}) });
  });
  return new SdkFirehoseGateway(({ account, region }) => clients(`${account}/${region}`));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new InvalidConfigurationError(`invalid configuration: ${name}: required`, [`${name}: required`]);
  return value;
}

/**
 * The retry scheduler of Conclude and the cleanup (RETRY_SCHEDULE_GROUP, RETRY_SCHEDULER_ROLE_ARN,
 * RETRY_TARGET_ARN); the other functions never schedule, and have none of these variables.
 */
function retryScheduler(region: string): RetryScheduler {
  let scheduler: EventBridgeRetryScheduler | undefined;
  return {
    schedule: (ref, at, reason, id) => {
      scheduler ??= new EventBridgeRetryScheduler(new SchedulerClient({ region }), {
        group: required('RETRY_SCHEDULE_GROUP'),
        roleArn: required('RETRY_SCHEDULER_ROLE_ARN'),
        targetArn: required('RETRY_TARGET_ARN'),
      });
      return scheduler.schedule(ref, at, reason, id);
    },
  };
}

const systemClock = { now: () => Date.now() };
const publisherFor = (config: GuardConfig) =>
  new EventBridgePublisher(new EventBridgeClient({ region: config.region }), { busName: config.busName });

/** The shared pacing of Firehose calls (the PACE# items of the state table). */
const pacerOn = (table: StateTable, config: GuardConfig) => new DynamoControlPlanePacer(table, config.pacedCallsPerSecond);
const pacing = (table: StateTable, config: GuardConfig) => {
  const pacer = pacerOn(table, config);
  return { pacer, estimates: pacer, sleep };
};

/**
 * The enforcement claims of an enforcing stage (FSG_STAGE, FSG_HOME_ACCOUNT_ID): read in each account
 * and region with the credentials that act there. An audit stage never starts encryption: no check.
 */
function enforcementClaims(config: GuardConfig): SsmEnforcementClaims | undefined {
  const stage = process.env.FSG_STAGE;
  const home = process.env.FSG_HOME_ACCOUNT_ID;
  if (!stage || !home || config.policy.mode === 'audit') return undefined;
  const clients = keyedCache((key) => {
    const [account, region] = key.split('/') as [string, string];
    const credentials = credentialsFor(account, region);
    return new SSMClient({ region, ...(credentials ? { credentials } : {}) });
  });
  return new SsmEnforcementClaims(claimValue(stage, home), ({ account, region }) => clients(`${account}/${region}`), systemClock);
}

/**
 * Each function's adapters, created once per cold start from the environment: a function builds only
 * the ports its use case takes, so its bundle holds no other client (esbuild drops the rest).
 */
export function inspectDeps(config: GuardConfig = loadConfig()): InspectDeps {
  const table = stateTable(config.tableName, { region: config.region });
  const claims = enforcementClaims(config);
  return {
    ...(claims ? { claims } : {}),
    firehose: regionalGateway(),
    keys: SdkKeyInspector.forConfig(),
    ledger: new DynamoBudgetLedger(table),
    states: new DynamoStreamStateStore(table),
    leases: new DynamoLeaseStore(table),
    keyFailures: new DynamoKeyFailureStore(table),
    clock: systemClock,
    policy: config.policy,
    settings: config.settings,
    pacer: pacerOn(table, config),
    sleep,
  };
}

export function enableDeps(config: GuardConfig = loadConfig()): EnableDeps {
  const table = stateTable(config.tableName, { region: config.region });
  return {
    firehose: regionalGateway(),
    keys: SdkKeyInspector.forConfig(),
    ledger: new DynamoBudgetLedger(table),
    keyFailures: new DynamoKeyFailureStore(table),
    publisher: publisherFor(config),
    clock: systemClock,
    policy: config.policy,
    settings: config.settings,
    ...pacing(table, config),
  };
}

export function checkDeps(config: GuardConfig = loadConfig()): CheckDeps {
  const table = stateTable(config.tableName, { region: config.region });
  return {
    firehose: regionalGateway(),
    keys: SdkKeyInspector.forConfig(),
    keyFailures: new DynamoKeyFailureStore(table),
    clock: systemClock,
    policy: config.policy,
    settings: config.settings,
    ...pacing(table, config),
  };
}

/** Conclude's and the cleanup's. */
export function concludeDeps(config: GuardConfig = loadConfig()): ConcludeDeps {
  const table = stateTable(config.tableName, { region: config.region });
  return {
    states: new DynamoStreamStateStore(table),
    leases: new DynamoLeaseStore(table),
    publisher: publisherFor(config),
    scheduler: retryScheduler(config.region),
    clock: systemClock,
    policy: config.policy,
  };
}

/** Builds the handler on its first invocation, so that importing a handler module reads no environment. */
export function lazily<H extends (...args: never[]) => Promise<unknown>>(build: () => H): H {
  let built: H | undefined;
  return ((...args: Parameters<H>) => {
    try {
      built ??= build();
    } catch (error) {
      // A configuration error fails the invocation (and names every problem) instead of the module load.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return built(...args);
  }) as H;
}

/** The intake's adapters: the remediation ones plus the workflow starter and the dead-letter queue. */
export function intakeDeps(config: GuardConfig = loadConfig()): IntakeDeps & { deadLetters: DeadLetterQueue } {
  const table = stateTable(config.tableName, { region: config.region });
  return {
    ledger: new DynamoBudgetLedger(table),
    states: new DynamoStreamStateStore(table),
    leases: new DynamoLeaseStore(table),
    publisher: publisherFor(config),
    clock: systemClock,
    policy: config.policy,
    starter: new StepFunctionsStarter(new SFNClient({ region: config.region }), required('STATE_MACHINE_ARN')),
    deadLetters: new SqsDeadLetters(new SQSClient({ region: config.region }), required('DEAD_LETTER_QUEUE_URL')),
    remediatorRoleArns: config.remediatorRoleArns,
    leaseSeconds: config.leaseSeconds,
    scope: deploymentScope(config),
  };
}

/**
 * The accounts and regions the deployment acts in: FSG_ACCOUNTS when given; else any account of the
 * organization when FSG_ORGANIZATION_ID is set (the default bus accepts only its accounts' events);
 * else the home account alone. The regions are the sweep's (FSG_REGIONS, default the home region).
 */
export function deploymentScope(config: GuardConfig, env: Record<string, string | undefined> = process.env): DeploymentScope {
  const listed = (env.FSG_ACCOUNTS ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const home = env.FSG_HOME_ACCOUNT_ID;
  const accounts = listed.length > 0 ? listed : env.FSG_ORGANIZATION_ID ? 'organization' : home ? [home] : 'organization';
  const regions = config.sweep.regions === 'enabled' ? 'any' : config.sweep.regions;
  const exclude = config.sweep.exclude ?? [];
  return { accounts, regions, ...(exclude.length > 0 ? { exclude } : {}) };
}

/** The organization's accounts (Organizations, from the home account) and each account's enabled regions (as the account's member role). */
function accountDirectory(config: GuardConfig): SdkAccountDirectory {
  const clients = keyedCache((account) => {
    const credentials = credentialsFor(account, config.region);
    return new AccountClient({ region: config.region, ...(credentials ? { credentials } : {}) });
  });
  return new SdkAccountDirectory(new OrganizationsClient({ region: config.region }), clients);
}

/** The sweep's adapters; its calls take slots of the shared pacing, after the workflows' calls. */
export function sweepDeps(config: GuardConfig = loadConfig()) {
  const table = stateTable(config.tableName, { region: config.region });
  const home = process.env.FSG_HOME_ACCOUNT_ID;
  return {
    directory: accountDirectory(config),
    results: new DynamoSweepResults(table),
    runs: new StepFunctionsSweepRuns(new SFNClient({ region: config.region })),
    firehose: regionalGateway(),
    leases: new DynamoLeaseStore(table),
    publisher: publisherFor(config),
    clock: systemClock,
    policy: config.policy,
    starter: new StepFunctionsStarter(new SFNClient({ region: config.region }), required('STATE_MACHINE_ARN')),
    ...SWEEP_TUNING,
    pacer: pacerOn(table, config),
    sleep,
    reserveMs: 60_000,
    settings: {
      regions: config.sweep.regions,
      organization: config.sweep.organization,
      include: config.sweep.include,
      exclude: config.sweep.exclude,
      ...(home ? { account: home } : {}),
    },
  };
}

/**
 * The findings function's: a Security Hub client per region (a finding goes to its stream's region,
 * under that region's default product), and the home account, the only one whose findings it may
 * import ("The identifier of the associated account must match the value of the AwsAccountId").
 */
export function findingsDeps(env: Record<string, string | undefined> = process.env): { sink: FindingSink; homeAccount?: string } {
  const sinks = keyedCache((region) => new SecurityHubFindingSink(new SecurityHubClient({ region })));
  const home = env.FSG_HOME_ACCOUNT_ID;
  return {
    sink: { import: (findings) => sinks(findings[0]?.Region ?? env.AWS_REGION ?? 'us-east-1').import(findings) },
    ...(home ? { homeAccount: home } : {}),
  };
}
