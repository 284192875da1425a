import { ENCRYPTABLE_STREAM_TYPE, type EncryptionStatus, type KeyType } from './firehose-facts.ts';
import { approvedKeyArnsAt, matchesNamePattern, type GuardPolicy, type StreamPlace } from './policy.ts';

export type { StreamPlace } from './policy.ts';

/** What the remediator needs to know of a stream (DescribeDeliveryStream, in domain terms). */
export interface StreamDescription {
  readonly name: string;
  readonly arn: string;
  readonly type: string;
  readonly status: string;
  /** LastUpdateTimestamp (epoch ms): the stream changed then, e.g. its encryption became ENABLED. */
  readonly lastUpdatedAt?: number;
  readonly encryption: {
    readonly status: EncryptionStatus;
    readonly keyType?: KeyType;
    readonly keyArn?: string;
    /** `type` is one of EncryptionFailureType as the model knows it today, or a newer one Firehose may add. */
    readonly failure?: { readonly type: string; readonly details: string };
  };
}

/** The key to call StartDeliveryStreamEncryption with. */
export type TargetKey = { readonly keyType: 'AWS_OWNED_CMK' } | { readonly keyType: 'CUSTOMER_MANAGED_CMK'; readonly keyArn: string };

export type RemediationReason = 'ENCRYPTION_DISABLED' | 'ENABLING_FAILED' | 'DISABLING_FAILED' | 'KEY_NOT_APPROVED';

/**
 * REMEDIATE: the stream needs a Start. `target` is the key to start with. It is absent only when the
 * decision was taken for a place (see {@link decideStream}) and the policy has no key usable there:
 * then `noKeyReason` says why, and the workflow must end FAILED with it, making no Firehose call.
 */
export type RemediateDecision =
  | { readonly verdict: 'REMEDIATE'; readonly reason: RemediationReason; readonly target: TargetKey; readonly noKeyReason?: undefined }
  | { readonly verdict: 'REMEDIATE'; readonly reason: RemediationReason; readonly target?: undefined; readonly noKeyReason: string };

/** The policy's verdict on one stream. */
export type StreamDecision =
  | { readonly verdict: 'COMPLIANT'; readonly keyType: KeyType; readonly keyArn?: string; readonly viaFallback: boolean }
  | { readonly verdict: 'NOT_APPLICABLE'; readonly streamType: string }
  | { readonly verdict: 'EXEMPT'; readonly by: 'tag' | 'name'; readonly rule: string }
  | { readonly verdict: 'GONE' }
  | { readonly verdict: 'BUSY'; readonly streamStatus: string; readonly encryptionStatus: EncryptionStatus }
  | RemediateDecision;

/** A decision taken without a place: a REMEDIATE always names a target (the first approved key). */
export type PlacelessStreamDecision = Exclude<StreamDecision, { readonly noKeyReason: string }>;

export type Verdict = StreamDecision['verdict'];

/**
 * Decides what to do with one stream, given its description (undefined: it no longer exists),
 * its tags, the policy and where the stream lives. Pure: the same inputs always give the same decision.
 *
 * With a `place`, keys are judged and chosen for it: an approved key counts only in its own region
 * and account, and a REMEDIATE names the first approved key there (or the AWS owned key where the
 * policy falls back), or, when there is none, no target and a `noKeyReason`. Without a place, the
 * decision ignores where keys live (the behaviour before keys were placed).
 *
 * @example
 * decideStream(description, tags, policy, { account: '111122223333', region: 'us-west-2' });
 */
export function decideStream(
  description: StreamDescription | undefined,
  tags: Readonly<Record<string, string>>,
  policy: GuardPolicy,
): PlacelessStreamDecision;
export function decideStream(
  description: StreamDescription | undefined,
  tags: Readonly<Record<string, string>>,
  policy: GuardPolicy,
  place: StreamPlace | undefined,
): StreamDecision;
export function decideStream(
  description: StreamDescription | undefined,
  tags: Readonly<Record<string, string>>,
  policy: GuardPolicy,
  place?: StreamPlace,
): StreamDecision {
  if (!description) return { verdict: 'GONE' };
  // "You can enable SSE for a delivery stream only if it's a delivery stream that uses DirectPut as its source."
  if (description.type !== ENCRYPTABLE_STREAM_TYPE) return { verdict: 'NOT_APPLICABLE', streamType: description.type };
  const exemption = exemptionOf(description.name, tags, policy);
  if (exemption) return exemption;
  const { encryption } = description;
  if (description.status !== 'ACTIVE' || encryption.status === 'ENABLING' || encryption.status === 'DISABLING') {
    return { verdict: 'BUSY', streamStatus: description.status, encryptionStatus: encryption.status };
  }
  if (encryption.status === 'ENABLED') {
    const accepted = acceptedKey(encryption.keyType, encryption.keyArn, policy, place);
    if (accepted)
      return {
        verdict: 'COMPLIANT',
        keyType: encryption.keyType ?? 'AWS_OWNED_CMK',
        ...keyArnOf(encryption.keyArn),
        viaFallback: accepted === 'fallback',
      };
    return remediate('KEY_NOT_APPROVED', policy, place);
  }
  const reason: RemediationReason =
    encryption.status === 'ENABLING_FAILED'
      ? 'ENABLING_FAILED'
      : encryption.status === 'DISABLING_FAILED'
        ? 'DISABLING_FAILED'
        : 'ENCRYPTION_DISABLED';
  return remediate(reason, policy, place);
}

function remediate(reason: RemediationReason, policy: GuardPolicy, place: StreamPlace | undefined): RemediateDecision {
  if (!place) return { verdict: 'REMEDIATE', reason, target: preferredKey(policy) };
  const target = preferredKeyFor(policy, place);
  return target ? { verdict: 'REMEDIATE', reason, target } : { verdict: 'REMEDIATE', reason, noKeyReason: noKeyReasonAt(policy, place) };
}

/** Why no key is usable at `place`, for the FAILED outcome's details. */
function noKeyReasonAt(policy: GuardPolicy, place: StreamPlace): string {
  const configured = policy.key.type === 'CUSTOMER_MANAGED_CMK' ? policy.key.approvedKeyArns.join(', ') : '';
  return `no approved key in account ${place.account}, region ${place.region} (approved: ${configured || 'none'}), and the fallback to the AWS owned key is off`;
}

const keyArnOf = (keyArn: string | undefined): { keyArn?: string } => (keyArn ? { keyArn } : {});

function exemptionOf(name: string, tags: Readonly<Record<string, string>>, policy: GuardPolicy): StreamDecision | undefined {
  const { tagKey, tagValues, namePatterns } = policy.exemptions;
  const tagValue = tags[tagKey];
  if (tagValue !== undefined && tagValues.some((v) => v.toLowerCase() === tagValue.toLowerCase())) {
    return { verdict: 'EXEMPT', by: 'tag', rule: `${tagKey}=${tagValue}` };
  }
  const pattern = namePatterns.find((p) => matchesNamePattern(name, p));
  return pattern ? { verdict: 'EXEMPT', by: 'name', rule: pattern } : undefined;
}

/**
 * Whether the key a stream is encrypted with satisfies the policy: `approved`, `fallback`, or not at
 * all. With a `place`, an approved key counts only for streams in its own region and account.
 */
export function acceptedKey(
  keyType: KeyType | undefined,
  keyArn: string | undefined,
  policy: GuardPolicy,
  place?: StreamPlace,
): 'approved' | 'fallback' | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK') return 'approved';
  const approved = place ? approvedKeyArnsAt(policy.key, place) : policy.key.approvedKeyArns;
  if (keyType === 'CUSTOMER_MANAGED_CMK' && keyArn && approved.includes(keyArn)) return 'approved';
  if ((keyType ?? 'AWS_OWNED_CMK') === 'AWS_OWNED_CMK' && policy.key.fallbackToAwsOwned) return 'fallback';
  return undefined;
}

/**
 * The key remediation tries first, whatever the stream's place: the first approved key.
 * Prefer {@link preferredKeyFor}, which picks a key the stream can use.
 */
export function preferredKey(policy: GuardPolicy): TargetKey {
  return policy.key.type === 'AWS_OWNED_CMK'
    ? { keyType: 'AWS_OWNED_CMK' }
    : { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: policy.key.approvedKeyArns[0] as string };
}

/**
 * The key remediation tries first for a stream at `place`: the first approved key of that region and
 * account, else the AWS owned key where the policy falls back to it; undefined when nothing is usable
 * there (the workflow then ends FAILED without calling Firehose).
 *
 * @example
 * preferredKeyFor(policy, { account: '111122223333', region: 'us-west-2' });
 */
export function preferredKeyFor(policy: GuardPolicy, place: StreamPlace): TargetKey | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK') return { keyType: 'AWS_OWNED_CMK' };
  const [first] = approvedKeyArnsAt(policy.key, place);
  if (first) return { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: first };
  return policy.key.fallbackToAwsOwned ? { keyType: 'AWS_OWNED_CMK' } : undefined;
}

/**
 * The key to try after `failed` proved unusable: the next approved key, then the AWS owned key where
 * the policy allows the fallback; undefined when nothing is left. Ignores where keys live; prefer
 * {@link nextKeyAfterFor}.
 */
export function nextKeyAfter(failed: TargetKey, policy: GuardPolicy): TargetKey | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK') return undefined;
  return nextIn(policy.key.approvedKeyArns, failed, policy.key.fallbackToAwsOwned);
}

/**
 * The key to try at `place` after `failed` proved unusable: the next approved key of that region and
 * account, then the AWS owned key where the policy allows the fallback; undefined when nothing is left.
 */
export function nextKeyAfterFor(failed: TargetKey, policy: GuardPolicy, place: StreamPlace): TargetKey | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK') return undefined;
  return nextIn(approvedKeyArnsAt(policy.key, place), failed, policy.key.fallbackToAwsOwned);
}

function nextIn(keys: readonly string[], failed: TargetKey, fallbackToAwsOwned: boolean): TargetKey | undefined {
  if (failed.keyType === 'AWS_OWNED_CMK') return undefined;
  const index = keys.indexOf(failed.keyArn);
  const next = keys[index + 1];
  if (index >= 0 && next) return { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: next };
  return fallbackToAwsOwned ? { keyType: 'AWS_OWNED_CMK' } : undefined;
}
