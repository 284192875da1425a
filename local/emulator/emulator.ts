import { partitionOf, STREAMS_PER_CUSTOMER_MANAGED_KEY } from '../../functions/domain/firehose-facts.ts';
import { AccountDirectory, type AccountOptions } from './accounts.ts';
import { cellKey, checkRegion, EmulatorCell, isRegion, type CellSettings } from './cells.ts';
import { systemClock, type Clock } from './clock.ts';
import {
  newRequestId,
  type ApiCall,
  type CloudTrailEvent,
  type CloudTrailRecorder,
  type CloudTrailSubscriber,
  type UserIdentity,
} from './cloudtrail.ts';
import { accountErrors, authErrors, AwsServiceError, firehoseErrors, organizationsErrors, protocolErrors, stsErrors } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import type { EmulatorTimings, FirehoseService } from './firehose.ts';
import type { KmsService } from './kms.ts';
import { firehoseShapes, kmsShapes, stsShapes } from './operation-shapes.ts';
import { accountShapes, invalidInputReason, Organization, ORGANIZATIONS_TARGET, organizationsShapes } from './organizations.ts';
import { STS_QUERY } from './query-protocol.ts';
import type { ControlPlaneRateLimiter, RateLimitOptions } from './rate-limit.ts';
import { validateRequest, type Shape } from './shapes.ts';
import { StsService, type RoleOptions } from './sts.ts';
import { ServiceControlPolicies } from './service-control-policy.ts';

export interface EmulatorOptions {
  /** The home account (default 123456789012): `emulator.firehose`, `kms`, ... are its cell in the home region. */
  account?: string;
  /** The home region (default us-east-1): requests whose credential scope names no region go here. */
  region?: string;
  /** The home cell's partition (default: the home region's). */
  partition?: string;
  /** Domain time: transitions, the 24-hour budget window, the settle time. */
  clock?: Clock;
  /** Wall time for the control-plane rate limit (see rate-limit.ts). */
  rateClock?: Clock;
  timings?: Partial<EmulatorTimings>;
  /** `false` turns the 5-per-second control-plane limit off; each cell (account and region) has its own. */
  rateLimit?: RateLimitOptions | false;
  /** Streams one customer managed key may encrypt (500 in AWS; lower it to test the limit cheaply). */
  streamsPerCmk?: number;
  /** Streams per account and region ("Up to 5,000 streams per region"). */
  maxStreams?: number;
  /**
   * The accounts make up an AWS organization whose management account is the home account (the
   * default); `false`: no organization (Organizations answers AWSOrganizationsNotInUseException).
   */
  organization?: boolean;
}

/** Who made a call: the access key id and region from the SigV4 credential scope, plus where it came from. */
export interface CallerContext {
  accessKeyId?: string;
  /** The region of the SigV4 credential scope; the home region when absent. */
  region?: string;
  sourceIp?: string;
  userAgent?: string;
  /** The request id the response carries; CloudTrail records the same one. */
  requestId?: string;
}

export type ServiceName = 'firehose' | 'kms' | 'sts' | 'organizations' | 'account';

/** Services with one endpoint for every region: their calls act, and are logged, in the partition's first region. */
const GLOBAL_SERVICES: ReadonlySet<ServiceName> = new Set(['organizations', 'account']);
const GLOBAL_REGION: Readonly<Record<string, string>> = { aws: 'us-east-1', 'aws-cn': 'cn-northwest-1', 'aws-us-gov': 'us-gov-west-1' };

/** A request body that could not be read as JSON; it still takes the call path, so it is recorded. */
export class UnparsableBody {
  constructor(readonly reason: string) {}
}

export const DEFAULT_TIMINGS: EmulatorTimings = { creatingMs: 1_000, deletingMs: 1_000, enablingMs: 2_000, disablingMs: 1_000 };

/** Maps an `X-Amz-Target` header to the service and operation it names. */
export function parseTarget(target: string | undefined): { service: ServiceName; operation: string } {
  const match = /^(Firehose_20150804|TrentService|AWSOrganizationsV20161128)\.(\w+)$/.exec(target ?? '');
  if (!match)
    throw protocolErrors.unknownOperation(
      `Unknown target '${target ?? ''}': expected Firehose_20150804.<Operation>, TrentService.<Operation> or ${ORGANIZATIONS_TARGET}.<Operation>.`,
    );
  const service: ServiceName = match[1] === 'TrentService' ? 'kms' : match[1] === ORGANIZATIONS_TARGET ? 'organizations' : 'firehose';
  return { service, operation: match[2] as string };
}

const SHAPES: Record<ServiceName, Record<string, Shape>> = {
  firehose: firehoseShapes,
  kms: kmsShapes,
  sts: stsShapes,
  organizations: organizationsShapes,
  account: accountShapes,
};

/**
 * The local AWS: Firehose + KMS in many accounts and regions at once, and the STS that leads from one
 * account into another. `call` is the single path every request takes, in process or over HTTP: the
 * caller's account (from its access key) and region (from the credential scope) pick a cell, then
 * latency, rate limit, injected faults, validation, the operation, CloudTrail, all the cell's own.
 *
 * `firehose`, `kms`, `cloudTrail`, `faults` and `rateLimiter` are the home cell's (home account, home
 * region): what a one-account emulator had. `cell(account, region)` reaches the others.
 *
 * @example
 * const emulator = new FirehoseEmulator({ clock: new ManualClock() });
 * await emulator.call('firehose', 'ListDeliveryStreams', {});
 * emulator.addAccount('210987654321');
 * await emulator.call('firehose', 'ListDeliveryStreams', {}, { accessKeyId: memberKey, region: 'eu-west-1' });
 * emulator.cell('210987654321', 'eu-west-1').firehose.streams();
 */
export class FirehoseEmulator {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly clock: Clock;
  readonly timings: EmulatorTimings;
  readonly kms: KmsService;
  readonly firehose: FirehoseService;
  readonly cloudTrail: CloudTrailRecorder;
  readonly faults: FaultInjector;
  readonly rateLimiter: ControlPlaneRateLimiter | undefined;
  readonly sts: StsService;
  /** The organization of the emulator's accounts (Organizations ListAccounts, Account Management ListRegions). */
  readonly organization: Organization;
  readonly #settings: CellSettings;
  readonly #accounts: AccountDirectory;
  readonly #home: EmulatorCell;
  readonly #cells = new Map<string, EmulatorCell>();
  readonly #trailSubscribers = new Set<CloudTrailSubscriber>();
  /**
   * The organization's service control policies (infra/organization-guardrail.yml's guardrail), checked
   * before each Firehose call; as in AWS, they bind no call of the management account (the home account).
   */
  readonly serviceControlPolicies: ServiceControlPolicies;

  constructor(options: EmulatorOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = checkRegion(options.region ?? 'us-east-1');
    this.partition = options.partition ?? partitionOf(this.region);
    this.clock = options.clock ?? systemClock;
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    for (const [name, ms] of Object.entries(this.timings)) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timings.${name} must be >= 0 ms, got ${ms}`);
    }
    this.#accounts = new AccountDirectory(this.account, this.partition, () => this.clock.now());
    this.#settings = {
      clock: this.clock,
      rateClock: options.rateClock ?? systemClock,
      rateLimit: options.rateLimit ?? {},
      timings: this.timings,
      streamsPerCmk: options.streamsPerCmk ?? STREAMS_PER_CUSTOMER_MANAGED_KEY,
      maxStreams: options.maxStreams ?? 5_000,
    };
    this.#home = new EmulatorCell(this.account, this.region, this.#settings, this.partition);
    this.#cells.set(cellKey(this.account, this.region), this.#home);
    ({
      kms: this.kms,
      firehose: this.firehose,
      cloudTrail: this.cloudTrail,
      faults: this.faults,
      rateLimiter: this.rateLimiter,
    } = this.#home);
    this.sts = new StsService(this.#accounts, this.clock);
    this.organization = new Organization(this.#accounts, options.organization ?? true);
    this.serviceControlPolicies = new ServiceControlPolicies(this.organization.enabled ? { managementAccountId: this.account } : {});
  }

  /** Serves `account` (12 digits) beside the home account; its cells come into being on first use. */
  addAccount(account: string, options: AccountOptions = {}): void {
    this.#accounts.add(account, options);
  }

  /** The accounts served, the home account first. */
  accounts(): string[] {
    return this.#accounts.list();
  }

  /**
   * An IAM role that AssumeRole leads into, with the exact principals its trust policy names.
   *
   * @example
   * emulator.addRole('arn:aws:iam::210987654321:role/sse-guard-member', {
   *   trustedPrincipalArns: ['arn:aws:iam::123456789012:role/sse-guard-sweep'],
   * });
   */
  addRole(roleArn: string, options: RoleOptions): void {
    this.sts.addRole(roleArn, options);
  }

  /** One account in one region, made on first use: its streams, keys, trail, faults and rate limit. */
  cell(account: string = this.account, region: string = this.region): EmulatorCell {
    const key = cellKey(account, region);
    const existing = this.#cells.get(key);
    if (existing) return existing;
    if (!this.#accounts.has(account)) throw new RangeError(`account ${account} is not served: addAccount('${account}') first`);
    const cell = new EmulatorCell(account, checkRegion(region), this.#settings);
    this.#cells.set(key, cell);
    return cell;
  }

  /** The cells in use, the home cell first. */
  cells(): EmulatorCell[] {
    return [...this.#cells.values()];
  }

  /** Names the caller behind an access key id (e.g. the remediator's role); the caller acts in the identity's account. */
  registerIdentity(accessKeyId: string, identity: UserIdentity): void {
    this.#accounts.register(accessKeyId, identity);
  }

  /** The identity of an access key; a key nobody registered is an IAM user of the home account. */
  identityFor(accessKeyId: string | undefined): UserIdentity {
    return this.#accounts.identityFor(accessKeyId);
  }

  /** Calls `subscriber` for every later CloudTrail event of every cell; returns the function that unsubscribes. */
  subscribeCloudTrail(subscriber: CloudTrailSubscriber): () => void {
    this.#trailSubscribers.add(subscriber);
    return () => this.#trailSubscribers.delete(subscriber);
  }

  /**
   * Runs one API call in the caller's account and region and records it in that cell's CloudTrail;
   * resolves with the output or rejects with an AwsServiceError. Credentials the emulator does not
   * know and a scope that names no region are refused before any cell sees the call, as in AWS.
   */
  async call(service: ServiceName, operation: string, input: unknown, caller: CallerContext = {}): Promise<Record<string, unknown>> {
    const requestId = caller.requestId ?? newRequestId();
    const scope = caller.region ?? this.region;
    if (!isRegion(scope)) throw authErrors.invalidRegionScope(service, scope);
    const global = GLOBAL_SERVICES.has(service);
    const region = global ? (GLOBAL_REGION[this.partition] ?? this.region) : scope;
    const { identity, account } = this.#accounts.callerOf(caller.accessKeyId, global ? undefined : region, service);
    const cell = this.cell(account, region);
    const latency = cell.faults.latencyFor(operation);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const record = (where: EmulatorCell, result: { output?: Record<string, unknown>; error?: AwsServiceError }): void => {
      const call: ApiCall = {
        service,
        operation,
        input:
          typeof input === 'object' && input !== null && !Array.isArray(input) && !(input instanceof UnparsableBody)
            ? (input as Record<string, unknown>)
            : {},
        ...(result.output ? { output: result.output } : {}),
        ...(result.error ? { error: { type: result.error.type, message: result.error.message } } : {}),
        identity,
        account: where.account,
        region,
        time: this.clock.now(),
        requestId,
        sourceIp: caller.sourceIp ?? '127.0.0.1',
        userAgent: caller.userAgent ?? 'firehose-sse-guard-emulator',
      };
      this.#publish(where.cloudTrail.record(call));
    };
    try {
      this.serviceControlPolicies.authorize({ service, operation, input, identity }, cell);
      const output = this.#dispatch(cell, service, operation, input, identity);
      record(cell, { output });
      const roleCell = this.#roleAccountCell(service, operation, input, cell);
      // A cross-account AssumeRole is logged in both accounts, each as its recipientAccountId.
      if (roleCell) record(roleCell, { output });
      return output;
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError ? error : protocolErrors.internal(`Internal emulator failure: ${(error as Error).message}`);
      record(cell, { error: serviceError });
      throw serviceError;
    }
  }

  #publish(event: CloudTrailEvent): void {
    for (const subscriber of this.#trailSubscribers) {
      try {
        subscriber(event);
      } catch {
        // A failing subscriber must not fail the API call that produced the event.
      }
    }
  }

  #roleAccountCell(service: ServiceName, operation: string, input: unknown, callerCell: EmulatorCell): EmulatorCell | undefined {
    if (service !== 'sts' || operation !== 'AssumeRole') return undefined;
    const roleAccount = String((input as { RoleArn?: unknown }).RoleArn).split(':')[4] ?? '';
    if (roleAccount === callerCell.account || !this.#accounts.has(roleAccount)) return undefined;
    return this.cell(roleAccount, callerCell.region);
  }

  #dispatch(cell: EmulatorCell, service: ServiceName, operation: string, input: unknown, caller: UserIdentity): Record<string, unknown> {
    const shape = SHAPES[service][operation];
    if (!shape) {
      throw service === 'sts'
        ? stsErrors.invalidAction(`Could not find operation ${operation} for version ${STS_QUERY.version}`)
        : protocolErrors.unknownOperation(`Unknown operation ${operation}`);
    }
    if (input instanceof UnparsableBody) throw protocolErrors.serialization(input.reason);
    if (cell.rateLimiter && service === 'firehose' && !cell.rateLimiter.tryAcquire(operation)) {
      throw firehoseErrors.limitExceeded(
        `Rate exceeded for ${operation}: the control-plane limit is ${cell.rateLimiter.perSecond} calls per second.`,
      );
    }
    const injected = cell.faults.takeFailure(operation);
    if (injected) throw new AwsServiceError(injected.type, injected.message ?? `Injected ${injected.type}`, injected.statusCode ?? 400);
    try {
      validateRequest(shape, input);
    } catch (error) {
      // STS (awsQuery) names every malformed request ValidationError; Organizations, InvalidInputException with a Reason.
      if (service === 'sts' && error instanceof AwsServiceError) throw stsErrors.validation(error.message);
      if (!(error instanceof AwsServiceError) || error.type !== 'ValidationException') throw error;
      if (service === 'organizations') throw organizationsErrors.invalidInput(error.message, invalidInputReason(error.message));
      if (service === 'account') throw accountErrors.validation(error.message);
      throw error;
    }
    const body = input as Record<string, unknown>;
    if (service === 'sts') return this.sts.handle(operation, body, caller);
    if (service === 'organizations' || service === 'account') return this.organization.handle(service, operation, body, caller);
    return service === 'kms' ? cell.kms.handle(operation, body) : cell.firehose.handle(operation, body);
  }

  /**
   * Forgets every cell: the home cell's streams, keys, events, faults and throttle windows, and every
   * other cell altogether (a cell held from before is detached; ask `cell()` again). Accounts, roles
   * and registered identities stay: they are the emulator's configuration, not its state.
   */
  reset(): void {
    for (const cell of this.#cells.values()) cell.reset();
    this.#cells.clear();
    this.#cells.set(cellKey(this.account, this.region), this.#home);
  }
}
