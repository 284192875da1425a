import { STREAMS_PER_CUSTOMER_MANAGED_KEY } from '../../functions/domain/firehose-facts.ts';
import { systemClock, type Clock } from './clock.ts';
import { CloudTrailRecorder, iamUserIdentity, newRequestId, type UserIdentity } from './cloudtrail.ts';
import { AwsServiceError, firehoseErrors, protocolErrors } from './errors.ts';
import { FaultInjector } from './faults.ts';
import { FirehoseService, type EmulatorTimings } from './firehose.ts';
import { KmsService } from './kms.ts';
import { firehoseShapes, kmsShapes } from './operation-shapes.ts';
import { ControlPlaneRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { validateRequest } from './shapes.ts';

export interface EmulatorOptions {
  account?: string;
  region?: string;
  partition?: string;
  /** Domain time: transitions, the 24-hour budget window, the settle time. */
  clock?: Clock;
  /** Wall time for the control-plane rate limit (see rate-limit.ts). */
  rateClock?: Clock;
  timings?: Partial<EmulatorTimings>;
  /** `false` turns the 5-per-second control-plane limit off. */
  rateLimit?: RateLimitOptions | false;
  /** Streams one customer managed key may encrypt (500 in AWS; lower it to test the limit cheaply). */
  streamsPerCmk?: number;
  maxStreams?: number;
}

/** Who made a call: the access key id from the SigV4 credential scope, plus where it came from. */
export interface CallerContext {
  accessKeyId?: string;
  sourceIp?: string;
  userAgent?: string;
  /** The request id the response carries; CloudTrail records the same one. */
  requestId?: string;
}

export type ServiceName = 'firehose' | 'kms';

/** A request body that could not be read as JSON; it still takes the call path, so it is recorded. */
export class UnparsableBody {
  constructor(readonly reason: string) {}
}

export const DEFAULT_TIMINGS: EmulatorTimings = { creatingMs: 1_000, deletingMs: 1_000, enablingMs: 2_000, disablingMs: 1_000 };

/** Maps an `X-Amz-Target` header to the service and operation it names. */
export function parseTarget(target: string | undefined): { service: ServiceName; operation: string } {
  const match = /^(Firehose_20150804|TrentService)\.(\w+)$/.exec(target ?? '');
  if (!match)
    throw protocolErrors.unknownOperation(
      `Unknown target '${target ?? ''}': expected Firehose_20150804.<Operation> or TrentService.<Operation>.`,
    );
  return { service: match[1] === 'TrentService' ? 'kms' : 'firehose', operation: match[2] as string };
}

/**
 * The local Firehose + KMS account. `call` is the single path every request takes, in process or
 * over HTTP: latency, rate limit, injected faults, validation, the operation, CloudTrail.
 *
 * @example
 * const emulator = new FirehoseEmulator({ clock: new ManualClock() });
 * await emulator.call('firehose', 'ListDeliveryStreams', {});
 */
export class FirehoseEmulator {
  readonly account: string;
  readonly region: string;
  readonly clock: Clock;
  readonly kms: KmsService;
  readonly firehose: FirehoseService;
  readonly cloudTrail = new CloudTrailRecorder();
  readonly faults = new FaultInjector();
  readonly rateLimiter: ControlPlaneRateLimiter | undefined;
  readonly timings: EmulatorTimings;
  readonly #identities = new Map<string, UserIdentity>();

  constructor(options: EmulatorOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    const partition = options.partition ?? 'aws';
    if (!/^\d{12}$/.test(this.account)) throw new RangeError(`account must be 12 digits, got '${this.account}'`);
    this.clock = options.clock ?? systemClock;
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    for (const [name, ms] of Object.entries(this.timings)) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timings.${name} must be >= 0 ms, got ${ms}`);
    }
    this.kms = new KmsService(this.account, this.region, partition, this.clock);
    this.firehose = new FirehoseService(
      {
        account: this.account,
        region: this.region,
        partition,
        timings: this.timings,
        streamsPerCmk: options.streamsPerCmk ?? STREAMS_PER_CUSTOMER_MANAGED_KEY,
        maxStreams: options.maxStreams ?? 5_000,
      },
      this.clock,
      this.kms,
      this.faults,
    );
    this.rateLimiter =
      options.rateLimit === false ? undefined : new ControlPlaneRateLimiter(options.rateClock ?? systemClock, options.rateLimit);
  }

  /** Names the caller behind an access key id in CloudTrail records (e.g. the remediator's role). */
  registerIdentity(accessKeyId: string, identity: UserIdentity): void {
    this.#identities.set(accessKeyId, identity);
  }

  identityFor(accessKeyId: string | undefined): UserIdentity {
    const id = accessKeyId ?? 'ANONYMOUS';
    return this.#identities.get(id) ?? iamUserIdentity(this.account, `local-${id.toLowerCase()}`, id);
  }

  /** Runs one API call and records it in CloudTrail; resolves with the output or rejects with an AwsServiceError. */
  async call(service: ServiceName, operation: string, input: unknown, caller: CallerContext = {}): Promise<Record<string, unknown>> {
    const requestId = caller.requestId ?? newRequestId();
    const latency = this.faults.latencyFor(operation);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const record = (result: { output?: Record<string, unknown>; error?: AwsServiceError }): void => {
      this.cloudTrail.record({
        service,
        operation,
        input:
          typeof input === 'object' && input !== null && !Array.isArray(input) && !(input instanceof UnparsableBody)
            ? (input as Record<string, unknown>)
            : {},
        ...(result.output ? { output: result.output } : {}),
        ...(result.error ? { error: { type: result.error.type, message: result.error.message } } : {}),
        identity: this.identityFor(caller.accessKeyId),
        account: this.account,
        region: this.region,
        time: this.clock.now(),
        requestId,
        sourceIp: caller.sourceIp ?? '127.0.0.1',
        userAgent: caller.userAgent ?? 'firehose-sse-guard-emulator',
      });
    };
    try {
      const output = this.dispatch(service, operation, input);
      record({ output });
      return output;
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError ? error : protocolErrors.internal(`Internal emulator failure: ${(error as Error).message}`);
      record({ error: serviceError });
      throw serviceError;
    }
  }

  private dispatch(service: ServiceName, operation: string, input: unknown): Record<string, unknown> {
    const shape = (service === 'kms' ? kmsShapes : firehoseShapes)[operation];
    if (!shape) throw protocolErrors.unknownOperation(`Unknown operation ${operation}`);
    if (input instanceof UnparsableBody) throw protocolErrors.serialization(input.reason);
    if (this.rateLimiter && service === 'firehose' && !this.rateLimiter.tryAcquire(operation)) {
      throw firehoseErrors.limitExceeded(
        `Rate exceeded for ${operation}: the control-plane limit is ${this.rateLimiter.perSecond} calls per second.`,
      );
    }
    const injected = this.faults.takeFailure(operation);
    if (injected) throw new AwsServiceError(injected.type, injected.message ?? `Injected ${injected.type}`, injected.statusCode ?? 400);
    validateRequest(shape, input);
    const body = input as Record<string, unknown>;
    return service === 'kms' ? this.kms.handle(operation, body) : this.firehose.handle(operation, body);
  }

  /** Forgets every stream, key, event, fault and throttle window. */
  reset(): void {
    this.firehose.reset();
    this.kms.reset();
    this.cloudTrail.clear();
    this.faults.reset();
    this.rateLimiter?.reset();
  }
}
