import { KMSClient } from '@aws-sdk/client-kms';
import { firehoseClients, SdkFirehoseGateway } from '../functions/adapters/firehose-gateway.ts';
import { SdkKeyInspector } from '../functions/adapters/kms-key-inspector.ts';
import { DynamoBudgetLedger } from '../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../functions/adapters/dynamo/lease-store.ts';
import { DynamoKeyFailureStore } from '../functions/adapters/dynamo/key-failure-store.ts';
import { LocalRetryScheduler } from './local-scheduler.ts';
import { DynamoStreamStateStore } from '../functions/adapters/dynamo/stream-state-store.ts';
import { parsePolicy } from '../functions/domain/policy.ts';
import type { RemediationDeps } from '../functions/domain/remediation/deps.ts';
import { DEFAULT_WORKFLOW_SETTINGS, type WorkflowSettings } from '../functions/domain/remediation/state.ts';
import { LEASE_SECONDS } from '../functions/domain/remediation/bounds.ts';
import { assumedRoleIdentity, ManualClock, serveEmulator, type EmulatorOptions, type RunningEmulator } from './emulator/index.ts';
import { EventSink } from './event-sink.ts';
import { CallMeter } from './metering.ts';
import { startStateTable } from './state-table.ts';
import type { StateTable } from '../functions/adapters/dynamo/state-table.ts';
import { remediationHandlers } from './remediation-handlers.ts';
import { WorkflowRunner } from './workflow-runner.ts';
import { LocalEventBus } from './event-bus.ts';
import { LocalDeadLetters, LocalWorkflowStarter } from './local-starter.ts';
import { makeIntakeHandler, type IntakeOutcome } from '../functions/handlers/intake.ts';
import { scheduledRetryEvent } from '../functions/domain/intake/intake-event.ts';
import { cleanUpExecution } from '../functions/domain/remediation/cleanup.ts';
import { startState } from '../functions/domain/remediation/state.ts';
import { DynamoControlPlanePacer } from '../functions/adapters/dynamo/pacer.ts';
import { PACED_CALLS_PER_SECOND } from '../functions/domain/pacing.ts';
import { FIXED_POLLING, MemoryControlPlanePacer } from './memory-pacer.ts';
import { jumpTime, VirtualTime, type LocalTime } from './virtual-time.ts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { keyedCache } from '../functions/adapters/keyed-cache.ts';
import type { AccountDirectory } from '../functions/domain/ports.ts';

export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_REGION = 'us-east-1';
/** The role the remediator's calls carry in the local CloudTrail record (the loop guard's key). */
export const REMEDIATOR_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/firehose-sse-guard-remediator`;
const REMEDIATOR_ACCESS_KEY = 'ASIALOCALREMEDIATOR';
/** The member role the remediator assumes in each member account of a local organization (infra/organization-member.yml). */
export const LOCAL_MEMBER_ROLE_NAME = 'firehose-sse-guard-local-member';
export const localMemberRoleArn = (account: string) => `arn:aws:iam::${account}:role/${LOCAL_MEMBER_ROLE_NAME}`;
const CREDENTIALS = { accessKeyId: REMEDIATOR_ACCESS_KEY, secretAccessKey: 'local' };

export interface LocalAccountOptions {
  clock?: ManualClock;
  emulator?: Omit<EmulatorOptions, 'clock'>;
  /** The policy as plain data (see parsePolicy). */
  policy?: unknown;
  settings?: Partial<WorkflowSettings>;
  /**
   * Route the emulator's CloudTrail record through the local bus and the trigger rules to the intake,
   * as EventBridge does in an account (default false: tests that run workflows directly want quiet).
   */
  triggers?: boolean;
  /**
   * SDK attempts per read call (Firehose, KMS). Default: the production clients' own retries (with
   * their real-time backoff). 1 leaves every retry to the state machine, which the local runner
   * takes without waiting: what fault campaigns want.
   */
  sdkAttempts?: number;
  /** Loopback ports for the emulator and dynalite (default 0: free ones), e.g. to serve the account. */
  ports?: { emulator?: number; dynamodb?: number };
  /**
   * `jump` (default): waits move the shared manual clock at once, Firehose calls are not paced and the
   * first look after a Start always comes after pollSeconds: what most tests want. `virtual`: a
   * discrete-event clock (local/virtual-time.ts) that concurrent executions share, the shared pacing
   * on the state table (as deployed) and the learnt ENABLING estimate: the scenario and the benchmarks.
   */
  time?: 'jump' | 'virtual';
  /** The shared pacing's rate per operation, in virtual time (default PACED_CALLS_PER_SECOND). */
  pacedCallsPerSecond?: number;
  /**
   * An organization: member accounts on the same emulator, each with the member role that only the
   * remediator's role may assume (STS on the emulator), and the regions the deployment covers. The
   * remediator reaches members through that role; every account's and region's CloudTrail is
   * forwarded to the local bus (with `triggers`), as the member template's rules forward them.
   */
  organization?: { members: readonly string[]; regions: readonly string[] };
}

/** The local account's state table (the deployed one is named by the stack output StateTableName). */
export const LOCAL_STATE_TABLE = 'firehose-sse-guard-state';

/**
 * The embedded local account: the Firehose emulator on loopback, dynalite in process, the real
 * adapters and handlers talking to them over HTTP, the compliance events in memory, and the runner
 * for infra/state-machine.asl.json. No AWS, no network beyond loopback.
 */
export class LocalAccount {
  private constructor(
    readonly clock: ManualClock,
    readonly emulator: RunningEmulator,
    /** dynalite's endpoint, where the state table LOCAL_STATE_TABLE lives. */
    readonly dynamodbEndpoint: string,
    readonly deps: RemediationDeps,
    readonly runner: WorkflowRunner,
    readonly events: EventSink,
    readonly meter: CallMeter,
    readonly bus: LocalEventBus,
    readonly starter: LocalWorkflowStarter,
    readonly deadLetters: LocalDeadLetters,
    readonly intake: (event: unknown) => Promise<IntakeOutcome>,
    readonly scheduler: LocalRetryScheduler,
    private readonly closers: (() => Promise<void>)[],
  ) {}

  static async start(options: LocalAccountOptions = {}): Promise<LocalAccount> {
    const clock = options.clock ?? new ManualClock(Date.UTC(2026, 10, 1));
    const virtual = options.time === 'virtual';
    const time: LocalTime = virtual ? new VirtualTime(clock) : jumpTime(clock);
    const emulator = await serveEmulator({
      rateLimit: false,
      ...(virtual ? { rateClock: clock } : {}),
      ...options.emulator,
      clock,
      port: options.ports?.emulator ?? 0,
    });
    emulator.emulator.registerIdentity(
      REMEDIATOR_ACCESS_KEY,
      assumedRoleIdentity(REMEDIATOR_ROLE_ARN, 'remediator', REMEDIATOR_ACCESS_KEY),
    );
    const storage = await startStateTable(LOCAL_STATE_TABLE, options.ports?.dynamodb ?? 0);
    const meter = new CallMeter();

    const clientConfig = { endpoint: emulator.endpoint, region: LOCAL_REGION, credentials: CREDENTIALS };
    const organization = options.organization;
    for (const member of organization?.members ?? []) {
      emulator.emulator.addAccount(member);
      emulator.emulator.addRole(localMemberRoleArn(member), { trustedPrincipalArns: [REMEDIATOR_ROLE_ARN] });
    }
    // One Firehose client pair per account and region: the home account as the remediator, a member
    // through its member role (STS AssumeRole on the emulator), as wiring.ts does deployed.
    const firehoseFor = keyedCache((key) => {
      const [place, region] = key.split('/') as [string, string];
      const credentials =
        place === LOCAL_ACCOUNT_ID
          ? CREDENTIALS
          : fromTemporaryCredentials({
              masterCredentials: CREDENTIALS,
              params: { RoleArn: localMemberRoleArn(place), RoleSessionName: 'firehose-sse-guard', DurationSeconds: 3600 },
              clientConfig: { endpoint: emulator.endpoint, region },
            });
      const clients = firehoseClients({
        ...clientConfig,
        region,
        credentials,
        ...(options.sdkAttempts ? { maxAttempts: options.sdkAttempts } : {}),
      });
      meter.attach(clients.read, 'firehose');
      meter.attach(clients.write, 'firehose');
      return clients;
    });
    const kms = new KMSClient({ ...clientConfig, maxAttempts: options.sdkAttempts ?? 2 });
    meter.attach(kms, 'kms');
    meter.attach(storage.client, 'dynamodb');
    const { table } = storage;
    const events = new EventSink(() => meter.record('eventbridge', 'PutEvents'));
    const scheduler = new LocalRetryScheduler(clock);
    const pacer = virtual
      ? new DynamoControlPlanePacer(table, options.pacedCallsPerSecond ?? PACED_CALLS_PER_SECOND)
      : new MemoryControlPlanePacer(Number.POSITIVE_INFINITY);

    const deps: RemediationDeps = {
      firehose: new SdkFirehoseGateway(({ account, region }) => firehoseFor(`${account}/${region}`)),
      keys: new SdkKeyInspector(() => kms),
      ledger: new DynamoBudgetLedger(table),
      states: new DynamoStreamStateStore(table),
      leases: new DynamoLeaseStore(table),
      keyFailures: new DynamoKeyFailureStore(table),
      scheduler,
      publisher: events,
      clock,
      policy: parsePolicy(options.policy ?? {}),
      settings: { ...DEFAULT_WORKFLOW_SETTINGS, ...options.settings },
      pacer,
      estimates: virtual ? pacer : FIXED_POLLING,
      sleep: (ms) => time.sleep(ms),
    };
    const runner = new WorkflowRunner(remediationHandlers(deps), clock, meter);
    const starter = new LocalWorkflowStarter(runner);
    if (virtual) {
      runner.time = time;
      starter.track = (work) => time.busy(work);
    }
    const deadLetters = new LocalDeadLetters(clock);
    const intakeHandler = makeIntakeHandler({
      ...deps,
      get policy() {
        return deps.policy;
      },
      starter,
      deadLetters,
      remediatorRoleArns: [REMEDIATOR_ROLE_ARN, `arn:aws:iam::*:role/${LOCAL_MEMBER_ROLE_NAME}`],
      leaseSeconds: LEASE_SECONDS,
      scope: organization
        ? { accounts: [LOCAL_ACCOUNT_ID, ...organization.members], regions: organization.regions }
        : { accounts: [LOCAL_ACCOUNT_ID], regions: [LOCAL_REGION] },
    });
    const intake = (event: unknown): Promise<IntakeOutcome> =>
      (intakeHandler as unknown as (e: unknown, c: unknown) => Promise<IntakeOutcome>)(event, {
        functionName: 'firehose-sse-guard-intake',
        awsRequestId: 'local',
      });
    const bus = new LocalEventBus();
    if (virtual) bus.track = (work) => time.busy(work);
    bus.addTriggerRules(intake);
    // Every account's and region's CloudTrail in an organization (the forwarders), else the home one's.
    const unsubscribe = !options.triggers
      ? () => true
      : organization
        ? emulator.emulator.subscribeCloudTrail((event) => bus.put(event))
        : emulator.emulator.cloudTrail.subscribe((event) => bus.put(event));
    const closers = [
      async () => {
        unsubscribe();
      },
      async () => {
        for (const clients of firehoseFor.values()) {
          clients.read.destroy();
          clients.write.destroy();
        }
        kms.destroy();
      },
      () => emulator.close(),
      () => storage.close(),
    ];
    starter.onFailed = async (report, input) => {
      const failure = report.error?.match(/^([^:]+): ?(.*)$/s);
      await cleanUpExecution(
        {
          executionName: report.name,
          status: 'FAILED',
          state: startState(input),
          ...(failure ? { error: failure[1], cause: (failure[2] as string).slice(0, 900) } : {}),
        },
        deps,
      );
    };
    const account = new LocalAccount(
      clock,
      emulator,
      storage.endpoint,
      deps,
      runner,
      events,
      meter,
      bus,
      starter,
      deadLetters,
      intake,
      scheduler,
      closers,
    );
    account.table = table;
    account.time = time;
    if (organization) {
      account.organization = {
        regions: organization.regions,
        // AWS Organizations' ListAccounts and each account's enabled regions, as the emulator serves them.
        directory: {
          accounts: async () => emulator.emulator.accounts().map((id) => ({ id, status: 'ACTIVE' })),
          enabledRegions: async () => [...organization.regions],
        },
      };
    }
    return account;
  }

  /** The state table the stores share (fault injection and inspection in tests). */
  table!: StateTable;
  /** How time passes here (see LocalAccountOptions.time). */
  time!: LocalTime;
  /** The organization (LocalAccountOptions.organization): its directory for the organization sweep. */
  organization?: { regions: readonly string[]; directory: AccountDirectory };

  /**
   * Waits until the bus has delivered everything, every execution it led to has ended, and every
   * retry due by the clock's time has gone through the intake (as EventBridge Scheduler would).
   */
  async drain(): Promise<void> {
    for (;;) {
      await this.time.run();
      while (!this.bus.idle || this.starter.running > 0) {
        await this.bus.drain();
        await this.starter.drain();
      }
      const due = this.scheduler.takeDue();
      if (due.length === 0) return;
      for (const retry of due) await this.time.busy(() => this.intake(scheduledRetryEvent(retry.ref, retry.reason, retry.at, retry.id)));
    }
  }

  /** Replaces the policy (validated), e.g. once the keys it names exist in the local KMS. */
  setPolicy(raw: unknown): void {
    this.deps.policy = parsePolicy(raw);
  }

  get endpoint(): string {
    return this.emulator.endpoint;
  }

  async close(): Promise<void> {
    for (const close of this.closers) await close();
  }
}
