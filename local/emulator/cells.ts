import { partitionOf } from '../../functions/domain/firehose-facts.ts';
import type { Clock } from './clock.ts';
import { CloudTrailRecorder } from './cloudtrail.ts';
import { FaultInjector } from './faults.ts';
import { FirehoseService, type EmulatorTimings } from './firehose.ts';
import { KmsService } from './kms.ts';
import { ControlPlaneRateLimiter, type RateLimitOptions } from './rate-limit.ts';

/** A region as AWS names them (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-northwest-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;

export const isRegion = (value: string): boolean => REGION.test(value);

export function checkAccountId(account: string): string {
  if (!ACCOUNT.test(account)) throw new RangeError(`account must be 12 digits, got '${account}'`);
  return account;
}

export function checkRegion(region: string): string {
  if (!isRegion(region)) throw new RangeError(`not a region: '${region}' (expected e.g. us-east-1)`);
  return region;
}

/** What every cell shares: the emulator's clocks, timings and quotas. */
export interface CellSettings {
  clock: Clock;
  rateClock: Clock;
  /** `false`: no control-plane rate limit. */
  rateLimit: RateLimitOptions | false;
  timings: EmulatorTimings;
  streamsPerCmk: number;
  maxStreams: number;
}

/**
 * One account in one region: what AWS keeps apart per account and region. Streams, keys, the
 * encryption-call ledger (on each stream), the stream and key quotas, the CloudTrail trail, injected
 * faults and the control-plane rate limit ("up to 5 calls per second" is per account, region and
 * operation) all live here, so nothing one cell does is seen or spent in another.
 */
export class EmulatorCell {
  readonly partition: string;
  readonly kms: KmsService;
  readonly firehose: FirehoseService;
  readonly cloudTrail = new CloudTrailRecorder();
  readonly faults = new FaultInjector();
  readonly rateLimiter: ControlPlaneRateLimiter | undefined;

  constructor(
    readonly account: string,
    readonly region: string,
    settings: CellSettings,
    partition: string = partitionOf(region),
  ) {
    this.partition = partition;
    this.kms = new KmsService(account, region, partition, settings.clock);
    this.firehose = new FirehoseService(
      {
        account,
        region,
        partition,
        timings: settings.timings,
        streamsPerCmk: settings.streamsPerCmk,
        maxStreams: settings.maxStreams,
      },
      settings.clock,
      this.kms,
      this.faults,
    );
    this.rateLimiter = settings.rateLimit === false ? undefined : new ControlPlaneRateLimiter(settings.rateClock, settings.rateLimit);
  }

  /** Forgets every stream, key, event, fault and throttle window of this cell. */
  reset(): void {
    this.firehose.reset();
    this.kms.reset();
    this.cloudTrail.clear();
    this.faults.reset();
    this.rateLimiter?.reset();
  }
}

export const cellKey = (account: string, region: string): string => `${account}/${region}`;
