import { ENCRYPTION_CALLS_PER_WINDOW, KMS_KEY_ARN_PATTERN } from './firehose-facts.ts';
import { InvalidConfigurationError } from './errors.ts';
import { globRegExp } from './glob.ts';
import { parseKeyArn } from './stream-ref.ts';

/** Which encryption counts as compliant, and which key remediation uses. */
export type KeyRequirement =
  /** Any SSE is compliant (AWS owned or any customer managed key); remediation uses the AWS owned key. */
  | { readonly type: 'AWS_OWNED_CMK' }
  /**
   * Only the approved customer managed keys are compliant; remediation uses the first usable one.
   * With `fallbackToAwsOwned`, a stream whose approved keys are all unusable is encrypted with the
   * AWS owned key instead, and that counts as compliant (so it is not remediated again and again).
   */
  | { readonly type: 'CUSTOMER_MANAGED_CMK'; readonly approvedKeyArns: readonly string[]; readonly fallbackToAwsOwned: boolean };

export interface GuardPolicy {
  /** `enforce` remediates; `audit` only evaluates and reports. */
  readonly mode: 'enforce' | 'audit';
  readonly key: KeyRequirement;
  readonly exemptions: {
    /** A stream with this tag, set to one of `tagValues`, is exempt. */
    readonly tagKey: string;
    readonly tagValues: readonly string[];
    /** Glob patterns (`*`, `?`) over stream names. */
    readonly namePatterns: readonly string[];
  };
  readonly budget: {
    /** How many of a stream's 25 Start+Stop calls per 24 hours the remediator may spend; the rest is left to people. */
    readonly share: number;
    /** Warn (a "budget low" event) when the remediator has this many calls or fewer left. */
    readonly lowThreshold: number;
  };
}

export const DEFAULT_BUDGET_SHARE = 20;
export const DEFAULT_EXEMPT_TAG_KEY = 'sse-guard:exempt';

export const DEFAULT_POLICY: GuardPolicy = {
  mode: 'enforce',
  key: { type: 'AWS_OWNED_CMK' },
  exemptions: { tagKey: DEFAULT_EXEMPT_TAG_KEY, tagValues: ['true'], namePatterns: [] },
  budget: { share: DEFAULT_BUDGET_SHARE, lowThreshold: 5 },
};

const GLOB = /^[a-zA-Z0-9_.*?-]{1,64}$/;
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@%]{1,128}$/u;

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a policy given as plain data (from configuration), filling defaults. Every problem is
 * reported at once, each with the field it concerns.
 *
 * @example
 * parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [arn] }, budget: { share: 15 } });
 */
export function parsePolicy(raw: unknown = {}): GuardPolicy {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new InvalidConfigurationError('policy: expected an object', ['policy: expected an object']);
  const section = (name: string): Raw => {
    const value = raw[name];
    if (value === undefined) return {};
    if (isRecord(value)) return value;
    problems.push(`${name}: expected an object`);
    return {};
  };

  const mode = raw.mode ?? DEFAULT_POLICY.mode;
  if (mode !== 'enforce' && mode !== 'audit') problems.push(`mode: expected "enforce" or "audit", got ${JSON.stringify(mode)}`);

  const key = parseKey(section('key'), problems);

  const ex = section('exemptions');
  const tagKey = ex.tagKey ?? DEFAULT_POLICY.exemptions.tagKey;
  if (typeof tagKey !== 'string' || !TAG_KEY.test(tagKey))
    problems.push(`exemptions.tagKey: not a valid tag key: ${JSON.stringify(tagKey)}`);
  const tagValues = stringList(ex.tagValues ?? DEFAULT_POLICY.exemptions.tagValues, 'exemptions.tagValues', problems);
  const namePatterns = stringList(ex.namePatterns ?? [], 'exemptions.namePatterns', problems);
  for (const p of namePatterns) {
    if (!GLOB.test(p)) problems.push(`exemptions.namePatterns: ${JSON.stringify(p)} is not a stream-name glob ([a-zA-Z0-9_.-], * and ?)`);
  }

  const b = section('budget');
  const share = b.share ?? DEFAULT_POLICY.budget.share;
  if (!(Number.isInteger(share) && (share as number) >= 1 && (share as number) <= ENCRYPTION_CALLS_PER_WINDOW)) {
    problems.push(`budget.share: expected an integer from 1 to ${ENCRYPTION_CALLS_PER_WINDOW}, got ${JSON.stringify(share)}`);
  }
  const shareValid = Number.isInteger(share) && (share as number) >= 1 && (share as number) <= ENCRYPTION_CALLS_PER_WINDOW;
  const lowThreshold = b.lowThreshold ?? Math.min(DEFAULT_POLICY.budget.lowThreshold, shareValid ? (share as number) - 1 : 0);
  const thresholdBound = shareValid ? (share as number) : ENCRYPTION_CALLS_PER_WINDOW;
  if (!Number.isInteger(lowThreshold) || (lowThreshold as number) < 0 || (lowThreshold as number) >= thresholdBound) {
    problems.push(`budget.lowThreshold: expected an integer from 0 to budget.share - 1, got ${JSON.stringify(lowThreshold)}`);
  }

  if (problems.length > 0) {
    throw new InvalidConfigurationError(`invalid policy: ${problems.join('; ')}`, problems);
  }
  return {
    mode: mode as GuardPolicy['mode'],
    key,
    exemptions: { tagKey: tagKey as string, tagValues, namePatterns },
    budget: { share: share as number, lowThreshold: lowThreshold as number },
  };
}

function parseKey(raw: Raw, problems: string[]): KeyRequirement {
  const type = raw.type ?? 'AWS_OWNED_CMK';
  if (type === 'AWS_OWNED_CMK') {
    if (raw.approvedKeyArns !== undefined) problems.push('key.approvedKeyArns: only allowed with key.type CUSTOMER_MANAGED_CMK');
    return { type };
  }
  if (type !== 'CUSTOMER_MANAGED_CMK') {
    problems.push(`key.type: expected "AWS_OWNED_CMK" or "CUSTOMER_MANAGED_CMK", got ${JSON.stringify(type)}`);
    return { type: 'AWS_OWNED_CMK' };
  }
  const arns = stringList(raw.approvedKeyArns ?? [], 'key.approvedKeyArns', problems);
  if (arns.length === 0) problems.push('key.approvedKeyArns: at least one key ARN is required with CUSTOMER_MANAGED_CMK');
  for (const arn of arns) {
    try {
      parseKeyArn(arn);
    } catch (error) {
      problems.push(`key.approvedKeyArns: ${(error as Error).message}`);
    }
  }
  const fallback = raw.fallbackToAwsOwned ?? false;
  if (typeof fallback !== 'boolean') problems.push(`key.fallbackToAwsOwned: expected a boolean, got ${JSON.stringify(fallback)}`);
  return { type, approvedKeyArns: arns, fallbackToAwsOwned: fallback === true };
}

function stringList(value: unknown, field: string, problems: string[]): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    problems.push(`${field}: expected a list of strings`);
    return [];
  }
  return value as string[];
}

/**
 * Where a stream lives. A stream can only be encrypted with a KMS key of its own region, and the
 * approved keys are chosen for its account too, so every key choice is made for a place.
 * Partitions are not compared: a region name belongs to exactly one partition.
 */
export interface StreamPlace {
  readonly account: string;
  readonly region: string;
}

/**
 * The approved key ARNs that belong to `place` (same region and account in the key's ARN), in the
 * configured order; empty for the AWS owned key requirement or when no approved key is there.
 *
 * @example
 * approvedKeyArnsAt(policy.key, { account: '111122223333', region: 'us-west-2' }); // only us-west-2 keys of 111122223333
 */
export function approvedKeyArnsAt(key: KeyRequirement, place: StreamPlace): readonly string[] {
  if (key.type === 'AWS_OWNED_CMK') return [];
  return key.approvedKeyArns.filter((arn) => {
    // parsePolicy refuses unparseable ARNs; a policy built by hand may still hold one, and it belongs nowhere.
    const match = KMS_KEY_ARN_PATTERN.exec(arn);
    return match !== null && match[2] === place.region && match[3] === place.account;
  });
}

/** Whether `name` matches a glob of `*` (any run) and `?` (one character). */
export function matchesNamePattern(name: string, pattern: string): boolean {
  return globRegExp(pattern).test(name);
}
