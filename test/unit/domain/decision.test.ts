import { describe, expect, it } from 'vitest';
import {
  acceptedKey,
  decideStream,
  nextKeyAfter,
  nextKeyAfterFor,
  preferredKey,
  preferredKeyFor,
  type StreamDescription,
  type TargetKey,
} from '../../../functions/domain/decision.ts';
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
    expect(decideStream(stream(), { 'sse-guard:exempt': 'TRUE' }, awsOwned)).toEqual({
      verdict: 'EXEMPT',
      by: 'tag',
      rule: 'sse-guard:exempt=TRUE',
    });
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
    expect(
      decideStream(stream({ encryption: { status: 'ENABLED', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER } }), {}, awsOwned).verdict,
    ).toBe('COMPLIANT');
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
    expect(decideStream(stream({ encryption: { status: 'ENABLED' } }), {}, awsOwned)).toMatchObject({
      verdict: 'COMPLIANT',
      keyType: 'AWS_OWNED_CMK',
    });
    expect(decideStream(stream({ encryption: { status: 'ENABLED' } }), {}, cmkWithFallback)).toMatchObject({
      verdict: 'COMPLIANT',
      viaFallback: true,
    });
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
    expect(decideStream(stream({ encryption: { status } }), {}, awsOwned)).toEqual({
      verdict: 'REMEDIATE',
      reason,
      target: { keyType: 'AWS_OWNED_CMK' },
    });
  });
});

describe('key order', () => {
  it('prefers the first approved key, then the next, then the fallback, then nothing', () => {
    expect(preferredKey(cmk)).toEqual({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A });
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A }, cmk)).toEqual({
      keyType: 'CUSTOMER_MANAGED_CMK',
      keyArn: KEY_B,
    });
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_B }, cmk)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_A }, cmkWithFallback)).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(nextKeyAfter({ keyType: 'AWS_OWNED_CMK' }, cmkWithFallback)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'AWS_OWNED_CMK' }, awsOwned)).toBeUndefined();
    expect(nextKeyAfter({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn: OTHER }, cmkWithFallback)).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });
});

// Issue 11, #9: "Keys from the wrong region. The approved key is always `approvedKeyArns[0]`, whatever the
// stream's region and account. A us-west-2 stream is offered an eu-west-1 key." Done when: "Keys are chosen
// for the stream's region and account (approved keys are filtered by their ARN's region and account). When
// none is usable, the workflow falls back or ends FAILED with a clear reason, and makes no Firehose call."
describe('keys per place', () => {
  const HOME = '111122223333';
  const MEMBER = '444455556666';
  const EU = `arn:aws:kms:eu-west-1:${HOME}:key/eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee`;
  const US = `arn:aws:kms:us-west-2:${HOME}:key/11111111-1111-1111-1111-111111111111`;
  const US_2 = `arn:aws:kms:us-west-2:${HOME}:key/22222222-2222-2222-2222-222222222222`;
  const US_MEMBER = `arn:aws:kms:us-west-2:${MEMBER}:key/33333333-3333-3333-3333-333333333333`;
  const usWest2 = { account: HOME, region: 'us-west-2' };
  const euWest1 = { account: HOME, region: 'eu-west-1' };
  const memberUsWest2 = { account: MEMBER, region: 'us-west-2' };
  const apSouth = { account: HOME, region: 'ap-southeast-1' };
  const placed = parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [EU, US_MEMBER, US, US_2] } });
  const placedWithFallback = parsePolicy({
    key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [EU, US, US_2], fallbackToAwsOwned: true },
  });
  const cmkKey = (keyArn: string): TargetKey => ({ keyType: 'CUSTOMER_MANAGED_CMK', keyArn });
  const streamAt = (place: { account: string; region: string }, encryption: StreamDescription['encryption']) =>
    stream({ arn: `arn:aws:firehose:${place.region}:${place.account}:deliverystream/orders`, encryption });

  it('offers a us-west-2 stream the first us-west-2 key of its account, not the first approved key (eu-west-1)', () => {
    expect(preferredKey(placed)).toEqual(cmkKey(EU));
    expect(preferredKeyFor(placed, usWest2)).toEqual(cmkKey(US));
    expect(preferredKeyFor(placed, euWest1)).toEqual(cmkKey(EU));
  });

  it('filters by account too: a member account gets its own key in the same region', () => {
    expect(preferredKeyFor(placed, memberUsWest2)).toEqual(cmkKey(US_MEMBER));
  });

  it('falls back to the AWS owned key where no approved key is in the place and the policy allows it', () => {
    expect(preferredKeyFor(placedWithFallback, apSouth)).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(preferredKeyFor(placedWithFallback, memberUsWest2)).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });

  it('has no key where no approved key is in the place and the fallback is off', () => {
    expect(preferredKeyFor(placed, apSouth)).toBeUndefined();
  });

  it('uses the AWS owned key everywhere under the AWS owned key policy', () => {
    expect(preferredKeyFor(awsOwned, apSouth)).toEqual({ keyType: 'AWS_OWNED_CMK' });
  });

  it('reads the place from the key ARN in any partition', () => {
    const china = `arn:aws-cn:kms:cn-north-1:${HOME}:key/44444444-4444-4444-4444-444444444444`;
    const govCloud = `arn:aws-us-gov:kms:us-gov-west-1:${HOME}:key/55555555-5555-5555-5555-555555555555`;
    const policy = parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [EU, china, govCloud] } });
    expect(preferredKeyFor(policy, { account: HOME, region: 'cn-north-1' })).toEqual(cmkKey(china));
    expect(preferredKeyFor(policy, { account: HOME, region: 'us-gov-west-1' })).toEqual(cmkKey(govCloud));
  });

  it('tries the next key of the same place after a failure, then the fallback, then nothing', () => {
    expect(nextKeyAfterFor(cmkKey(US), placed, usWest2)).toEqual(cmkKey(US_2));
    expect(nextKeyAfterFor(cmkKey(US_2), placed, usWest2)).toBeUndefined();
    expect(nextKeyAfterFor(cmkKey(US_2), placedWithFallback, usWest2)).toEqual({ keyType: 'AWS_OWNED_CMK' });
    expect(nextKeyAfterFor({ keyType: 'AWS_OWNED_CMK' }, placedWithFallback, usWest2)).toBeUndefined();
    expect(nextKeyAfterFor({ keyType: 'AWS_OWNED_CMK' }, awsOwned, usWest2)).toBeUndefined();
  });

  it('never moves on to a key of another place: the member key is skipped in the home account', () => {
    expect(nextKeyAfter(cmkKey(US_MEMBER), placed)).toEqual(cmkKey(US));
    expect(nextKeyAfterFor(cmkKey(US), placed, memberUsWest2)).toBeUndefined();
    expect(nextKeyAfterFor(cmkKey(EU), placed, euWest1)).toBeUndefined();
  });

  it('accepts an approved key only for streams of its own region and account', () => {
    expect(acceptedKey('CUSTOMER_MANAGED_CMK', US, placed, usWest2)).toBe('approved');
    expect(acceptedKey('CUSTOMER_MANAGED_CMK', US_MEMBER, placed, usWest2)).toBeUndefined();
    expect(acceptedKey('CUSTOMER_MANAGED_CMK', US_MEMBER, placed)).toBe('approved');
    expect(acceptedKey('AWS_OWNED_CMK', undefined, placedWithFallback, apSouth)).toBe('fallback');
  });

  it("REMEDIATEs a us-west-2 stream with its own region's key when given the place", () => {
    expect(decideStream(streamAt(usWest2, { status: 'DISABLED' }), {}, placed, usWest2)).toEqual({
      verdict: 'REMEDIATE',
      reason: 'ENCRYPTION_DISABLED',
      target: cmkKey(US),
    });
  });

  it("REMEDIATEs a stream encrypted with another account's approved key (KEY_NOT_APPROVED) with a key of its own account", () => {
    const encryption = { status: 'ENABLED' as const, keyType: 'CUSTOMER_MANAGED_CMK' as const, keyArn: US_MEMBER };
    expect(decideStream(streamAt(usWest2, encryption), {}, placed, usWest2)).toEqual({
      verdict: 'REMEDIATE',
      reason: 'KEY_NOT_APPROVED',
      target: cmkKey(US),
    });
    expect(decideStream(streamAt(usWest2, encryption), {}, placed).verdict).toBe('COMPLIANT');
  });

  it('REMEDIATE names no target and says why when no key is usable in the place (the workflow ends FAILED without a Firehose call)', () => {
    expect(decideStream(streamAt(apSouth, { status: 'DISABLED' }), {}, placed, apSouth)).toStrictEqual({
      verdict: 'REMEDIATE',
      reason: 'ENCRYPTION_DISABLED',
      noKeyReason: `no approved key in account ${HOME}, region ap-southeast-1 (approved: ${[EU, US_MEMBER, US, US_2].join(', ')}), and the fallback to the AWS owned key is off`,
    });
  });

  it('keeps the verdicts that do not depend on keys the same with a place', () => {
    for (const description of [undefined, stream({ type: 'MSKAsSource' }), stream({ status: 'CREATING' }), stream({ name: 'sandbox-1' })]) {
      expect(decideStream(description, {}, exempting, apSouth)).toEqual(decideStream(description, {}, exempting));
    }
    expect(decideStream(streamAt(apSouth, { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' }), {}, awsOwned, apSouth).verdict).toBe(
      'COMPLIANT',
    );
  });

  it('without a place, keeps choosing the first approved key, and a REMEDIATE always names a target', () => {
    const decision = decideStream(streamAt(apSouth, { status: 'DISABLED' }), {}, placed);
    if (decision.verdict !== 'REMEDIATE') throw new Error(`expected REMEDIATE, got ${decision.verdict}`);
    const target: TargetKey = decision.target;
    expect(target).toEqual(cmkKey(EU));
  });
});
