import { describe, expect, it } from 'vitest';
import { decideStream, nextKeyAfter, preferredKey, type StreamDescription } from '../../../functions/domain/decision.ts';
import { parsePolicy } from '../../../functions/domain/policy.ts';

const KEY_A = 'arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const KEY_B = 'arn:aws:kms:us-east-1:123456789012:key/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/cccccccc-cccc-cccc-cccc-cccccccccccc';

const awsOwned = parsePolicy({});
const cmk = parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [KEY_A, KEY_B] } });
const cmkWithFallback = parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [KEY_A], fallbackToAwsOwned: true } });
const exempting = parsePolicy({ exemptions: { namePatterns: ['sandbox-*'] } });

function stream(overrides: Partial<StreamDescription> & { encryption?: StreamDescription['encryption'] } = {}): StreamDescription {
  return {
    name: 'orders',
    arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders',
    type: 'DirectPut',
    status: 'ACTIVE',
    encryption: { status: 'DISABLED' },
    ...overrides,
  };
}

describe('decideStream', () => {
  it('GONE when the stream no longer exists', () => {
    expect(decideStream(undefined, {}, awsOwned)).toEqual({ verdict: 'GONE' });
  });

  it.each(['KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource'])(
    'NOT_APPLICABLE for %s ("You can enable SSE ... only if it\'s a delivery stream that uses DirectPut")',
    (type) => {
      expect(decideStream(stream({ type }), {}, awsOwned)).toEqual({ verdict: 'NOT_APPLICABLE', streamType: type });
    },
  );

  it('NOT_APPLICABLE wins over an exemption tag: it is a fact, not a choice', () => {
    expect(decideStream(stream({ type: 'MSKAsSource' }), { 'sse-guard:exempt': 'true' }, awsOwned).verdict).toBe('NOT_APPLICABLE');
  });

  it('EXEMPT by tag (case-insensitive value) or by name pattern', () => {
    expect(decideStream(stream(), { 'sse-guard:exempt': 'TRUE' }, awsOwned)).toEqual({ verdict: 'EXEMPT', by: 'tag', rule: 'sse-guard:exempt=TRUE' });
    expect(decideStream(stream(), { 'sse-guard:exempt': 'false' }, awsOwned).verdict).toBe('REMEDIATE');
    expect(decideStream(stream({ name: 'sandbox-7' }), {}, exempting)).toEqual({ verdict: 'EXEMPT', by: 'name', rule: 'sandbox-*' });
  });

  it.each([
    ['CREATING', 'DISABLED'],
    ['DELETING', 'ENABLED'],
    ['ACTIVE', 'ENABLING'],
    ['ACTIVE', 'DISABLING'],
  ] as const)('BUSY while the stream is %s with encryption %s', (status, encryption) => {
    expect(decideStream(stream({ status, encryption: { status: encryption } }), {}, awsOwned)).toEqual({
      verdict: 'BUSY',
      streamStatus: status,
      encryptionStatus: encryption,
    });
  });

  it('COMPLIANT with any SSE under the AWS owned key policy', () => {
    expect(decideStream(stream({ encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' } }), {}, awsOwned)).toEqual({
      verdict: 'COMPLIANT',
      keyType: 'AWS_OWNED_CMK',
      viaFallback: false,
    });
    expect(decideStream(stream({ encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER } }), {}, awsOwned).verdict).toBe(
      'COMPLIANT',
    );
  });

  it('COMPLIANT only with an approved key under a customer managed key policy; otherwise REMEDIATE KEY_NOT_APPROVED', () => {
    expect(decideStream(stream({ encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_B } }), {}, cmk)).toEqual({
      verdict: 'COMPLIANT',
      keyType: 'CUSTOMER_MANAGED_CMK',
      keyArn: KEY_B,
      viaFallback: false,
    });
    for (const encryption of [
      { status: 'ENABLED' as const, keyType: 'CUSTOMER_MANAGED_CMK' as const, keyArn: OTHER },
      { status: 'ENABLED' as const, keyType: 'AWS_OWNED_CMK' as const },
    ]) {
      expect(decideStream(stream({ encryption }), {}, cmk)).toEqual({
        verdict: 'REMEDIATE',
        reason: 'KEY_NOT_APPROVED',
        target: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A },
      });
    }
  });

  it('an ENABLED stream that reports no key type is taken as AWS owned', () => {
    expect(decideStream(stream({ encryption: { status: 'ENABLED' } }), {}, awsOwned)).toMatchObject({ verdict: 'COMPLIANT', keyType: 'AWS_OWNED_CMK' });
    expect(decideStream(stream({ encryption: { status: 'ENABLED' } }), {}, cmkWithFallback)).toMatchObject({ verdict: 'COMPLIANT', viaFallback: true });
  });

  it('COMPLIANT via fallback: the AWS owned key is accepted when the policy allows falling back to it', () => {
    expect(decideStream(stream({ encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' } }), {}, cmkWithFallback)).toEqual({
      verdict: 'COMPLIANT',
      keyType: 'AWS_OWNED_CMK',
      viaFallback: true,
    });
  });

  it.each([
    ['DISABLED', 'ENCRYPTION_DISABLED'],
    ['ENABLING_FAILED', 'ENABLING_FAILED'],
    ['DISABLING_FAILED', 'DISABLING_FAILED'],
  ] as const)('REMEDIATE a stream whose encryption is %s (%s) with the preferred key', (status, reason) => {
    expect(decideStream(stream({ encryption: { status } }), {}, awsOwned)).toEqual({ verdict: 'REMEDIATE', reason, target: { keyType: 'AWS_OWNED_CMK' } });
  });
});

describe('key order', () => {
  it('prefers the first approved key, then the next, then the fallback, then nothing', () => {
    expect(preferredKey(cmk)).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A });
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A }, cmk)).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_B });
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_B }, cmk)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A }, cmkWithFallback)).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(nextKeyAfter({ keyType: 'AWS_OWNED_CMK' }, cmkWithFallback)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'AWS_OWNED_CMK' }, awsOwned)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER }, cmkWithFallback)).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });
});
