import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../../functions/domain/errors.ts';
import { approvedKeyArnsAt, DEFAULT_POLICY, matchesNamePattern, parsePolicy } from '../../../functions/domain/policy.ts';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';

function problemsOf(raw: unknown): readonly string[] {
  try {
    parsePolicy(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as InvalidConfigurationError).problems;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy configuration', () => {
  it('defaults to enforce, the AWS owned key, the sse-guard:exempt tag and a share of 20 leaving 5 for people', () => {
    expect(parsePolicy({})).toEqual(DEFAULT_POLICY);
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.budget.share).toBe(20);
  });

  it('accepts customer managed keys with a fallback, exemptions and a budget', () => {
    const policy = parsePolicy({
      mode: 'audit',
      key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [KEY], fallbackToAwsOwned: true },
      exemptions: { tagKey: 'compliance/exempt', tagValues: ['yes'], namePatterns: ['sandbox-*', 'tmp-??'] },
      budget: { share: 15, lowThreshold: 3 },
    });
    expect(policy).toEqual({
      mode: 'audit',
      key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [KEY], fallbackToAwsOwned: true },
      exemptions: { tagKey: 'compliance/exempt', tagValues: ['yes'], namePatterns: ['sandbox-*', 'tmp-??'] },
      budget: { share: 15, lowThreshold: 3 },
    });
  });

  it('reports every problem at once, each naming its field', () => {
    const problems = problemsOf({
      mode: 'fix',
      key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: ['arn:aws:kms:us-east-1:123456789012:alias/x'], fallbackToAwsOwned: 'yes' },
      exemptions: { tagKey: 'aws:reserved', tagValues: 'true', namePatterns: ['bad pattern!'] },
      budget: { share: 26, lowThreshold: -1 },
    });
    expect(problems).toEqual([
      'mode: expected "enforce" or "audit", got "fix"',
      expect.stringMatching(/^key\.approvedKeyArns: invalid KMS key ARN .*alias ARNs are not accepted/),
      'key.fallbackToAwsOwned: expected a boolean, got "yes"',
      'exemptions.tagKey: not a valid tag key: "aws:reserved"',
      'exemptions.tagValues: expected a list of strings',
      'exemptions.namePatterns: "bad pattern!" is not a stream-name glob ([a-zA-Z0-9_.-], * and ?)',
      'budget.share: expected an integer from 1 to 25, got 26',
      'budget.lowThreshold: expected an integer from 0 to budget.share - 1, got -1',
    ]);
  });

  it.each([
    [{ key: { type: 'CUSTOMER_MANAGED_CMK' } }, 'key.approvedKeyArns: at least one key ARN is required with CUSTOMER_MANAGED_CMK'],
    [{ key: { type: 'AWS_OWNED_CMK', approvedKeyArns: [KEY] } }, 'key.approvedKeyArns: only allowed with key.type CUSTOMER_MANAGED_CMK'],
    [{ key: { type: 'AES' } }, 'key.type: expected "AWS_OWNED_CMK" or "CUSTOMER_MANAGED_CMK", got "AES"'],
    [{ key: 'AWS_OWNED_CMK' }, 'key: expected an object'],
    [{ budget: { share: 0 } }, 'budget.share: expected an integer from 1 to 25, got 0'],
    [{ budget: { share: 10, lowThreshold: 10 } }, 'budget.lowThreshold: expected an integer from 0 to budget.share - 1, got 10'],
    [{ budget: { share: 2.5 } }, 'budget.share: expected an integer from 1 to 25, got 2.5'],
  ])('refuses %j', (raw, problem) => {
    expect(problemsOf(raw)).toContain(problem);
  });

  it('refuses a policy that is not an object', () => {
    expect(problemsOf('enforce')).toEqual(['policy: expected an object']);
  });

  it('keeps a share of 1 valid by lowering the default threshold', () => {
    expect(parsePolicy({ budget: { share: 1 } }).budget).toEqual({ share: 1, lowThreshold: 0 });
  });

  it('matches name globs with * and ?, treating other characters literally', () => {
    expect(matchesNamePattern('sandbox-1', 'sandbox-*')).toBe(true);
    expect(matchesNamePattern('sandbox', 'sandbox-*')).toBe(false);
    expect(matchesNamePattern('tmp-ab', 'tmp-??')).toBe(true);
    expect(matchesNamePattern('tmp-abc', 'tmp-??')).toBe(false);
    expect(matchesNamePattern('aXb', 'a.b')).toBe(false);
  });
});

describe('approved keys per place (issue 11, #9: "A us-west-2 stream is offered an eu-west-1 key")', () => {
  const EU = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
  const US = 'arn:aws:kms:us-west-2:111122223333:key/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
  const US_OTHER_ACCOUNT = 'arn:aws:kms:us-west-2:444455556666:key/cccccccc-cccc-cccc-cccc-cccccccccccc';
  const US_LATER = 'arn:aws:kms:us-west-2:111122223333:key/dddddddd-dddd-dddd-dddd-dddddddddddd';
  const { key } = parsePolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [EU, US, US_OTHER_ACCOUNT, US_LATER] } });

  it("keeps the approved keys of the place's region and account, in the configured order", () => {
    expect(approvedKeyArnsAt(key, { account: '111122223333', region: 'us-west-2' })).toEqual([US, US_LATER]);
    expect(approvedKeyArnsAt(key, { account: '444455556666', region: 'us-west-2' })).toEqual([US_OTHER_ACCOUNT]);
    expect(approvedKeyArnsAt(key, { account: '111122223333', region: 'eu-west-1' })).toEqual([EU]);
  });

  it('has none for a place without approved keys, and none under the AWS owned key requirement', () => {
    expect(approvedKeyArnsAt(key, { account: '111122223333', region: 'ap-southeast-1' })).toEqual([]);
    expect(approvedKeyArnsAt(DEFAULT_POLICY.key, { account: '111122223333', region: 'eu-west-1' })).toEqual([]);
  });

  it('reads keys of any partition, and places nowhere a key that is not a key ARN', () => {
    const china = 'arn:aws-cn:kms:cn-north-1:111122223333:key/eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee';
    const handBuilt = {
      type: 'CUSTOMER_MANAGED_CMK' as const,
      approvedKeyArns: ['arn:aws:kms:cn-north-1:111122223333:alias/x', china],
      fallbackToAwsOwned: false,
    };
    expect(approvedKeyArnsAt(handBuilt, { account: '111122223333', region: 'cn-north-1' })).toEqual([china]);
  });
});
