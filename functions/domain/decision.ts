import { ENCRYPTABLE_STREAM_TYPE, type EncryptionFailureType, type EncryptionStatus, type KeyType } from './firehose-facts.ts';
import { matchesNamePattern, type GuardPolicy } from './policy.ts';

/** What the remediator needs to know of a stream (DescribeDeliveryStream, in domain terms). */
export interface StreamDescription {
  readonly name: string;
  readonly arn: string;
  readonly type: string;
  readonly status: string;
  readonly encryption: {
    readonly status: EncryptionStatus;
    readonly keyType?: KeyType;
    readonly keyArn?: string;
    readonly failure?: { readonly type: EncryptionFailureType | string; readonly details: string };
  };
}

/** The key to call StartDeliveryStreamEncryption with. */
export type TargetKey = { readonly keyType: 'AWS_OWNED_CMK' } | { readonly keyType: 'CUSTOMER_MANAGED_CMK'; readonly keyArn: string };

export type RemediationReason = 'ENCRYPTION_DISABLED' | 'ENABLING_FAILED' | 'DISABLING_FAILED' | 'KEY_NOT_APPROVED';

/** The policy's verdict on one stream. */
export type StreamDecision =
  | { readonly verdict: 'COMPLIANT'; readonly keyType: KeyType; readonly keyArn?: string; readonly viaFallback: boolean }
  | { readonly verdict: 'NOT_APPLICABLE'; readonly streamType: string }
  | { readonly verdict: 'EXEMPT'; readonly by: 'tag' | 'name'; readonly rule: string }
  | { readonly verdict: 'GONE' }
  | { readonly verdict: 'BUSY'; readonly streamStatus: string; readonly encryptionStatus: EncryptionStatus }
  | { readonly verdict: 'REMEDIATE'; readonly reason: RemediationReason; readonly target: TargetKey };

export type Verdict = StreamDecision['verdict'];

/**
 * Decides what to do with one stream, given its description (undefined: it no longer exists),
 * its tags and the policy. Pure: the same inputs always give the same decision.
 */
export function decideStream(
  description: StreamDescription | undefined,
  tags: Readonly<Record<string, string>>,
  policy: GuardPolicy,
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
    const accepted = acceptedKey(encryption.keyType, encryption.keyArn, policy);
    if (accepted) return { verdict: 'COMPLIANT', keyType: encryption.keyType ?? 'AWS_OWNED_CMK', ...keyArnOf(encryption.keyArn), viaFallback: accepted === 'fallback' };
    return { verdict: 'REMEDIATE', reason: 'KEY_NOT_APPROVED', target: preferredKey(policy) };
  }
  const reason: RemediationReason =
    encryption.status === 'ENABLING_FAILED' ? 'ENABLING_FAILED' : encryption.status === 'DISABLING_FAILED' ? 'DISABLING_FAILED' : 'ENCRYPTION_DISABLED';
  return { verdict: 'REMEDIATE', reason, target: preferredKey(policy) };
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

/** Whether the key a stream is encrypted with satisfies the policy: `approved`, `fallback`, or not at all. */
export function acceptedKey(keyType: KeyType | undefined, keyArn: string | undefined, policy: GuardPolicy): 'approved' | 'fallback' | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK') return 'approved';
  if (keyType === 'CUSTOMER_MANAGED_CMK' && keyArn && policy.key.approvedKeyArns.includes(keyArn)) return 'approved';
  if ((keyType ?? 'AWS_OWNED_CMK') === 'AWS_OWNED_CMK' && policy.key.fallbackToAwsOwned) return 'fallback';
  return undefined;
}

/** The key remediation tries first. */
export function preferredKey(policy: GuardPolicy): TargetKey {
  return policy.key.type === 'AWS_OWNED_CMK'
    ? { keyType: 'AWS_OWNED_CMK' }
    : { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: policy.key.approvedKeyArns[0] as string };
}

/**
 * The key to try after `failed` proved unusable: the next approved key, then the AWS owned key where
 * the policy allows the fallback; undefined when nothing is left.
 */
export function nextKeyAfter(failed: TargetKey, policy: GuardPolicy): TargetKey | undefined {
  if (policy.key.type === 'AWS_OWNED_CMK' || failed.keyType === 'AWS_OWNED_CMK') return undefined;
  const index = policy.key.approvedKeyArns.indexOf(failed.keyArn);
  const next = policy.key.approvedKeyArns[index + 1];
  if (index >= 0 && next) return { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: next };
  return policy.key.fallbackToAwsOwned ? { keyType: 'AWS_OWNED_CMK' } : undefined;
}
