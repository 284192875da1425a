import { describe, expect, it } from 'vitest';
import {
  assumedRoleIdentity,
  FirehoseEmulator,
  iamUserIdentity,
  ManualClock,
  type AwsServiceError,
} from '../../../local/emulator/index.ts';
import {
  evaluateServiceControlPolicies,
  FULL_AWS_ACCESS,
  parsePolicyDocument,
  PolicyDocumentError,
  principalArnOf,
  renderGuardrailPolicy,
  SCP_MAX_CHARACTERS,
  ServiceControlPolicies,
  type ParameterValues,
} from '../../../local/emulator/service-control-policy.ts';

const ACCOUNT = '123456789012';
const STREAM = `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const STOP = 'firehose:StopDeliveryStreamEncryption';

/** The guardrail as deployed (FullAWSAccess stays attached beside it), asked about one call. */
function guardrail(
  request: { action?: string; principal?: string; tags?: Record<string, string> },
  parameters: ParameterValues = {},
): { decision: string; statement?: string } {
  const context: Record<string, string> = { 'aws:PrincipalArn': request.principal ?? ALICE };
  for (const [key, value] of Object.entries(request.tags ?? {})) context[`aws:ResourceTag/${key}`] = value;
  const { decision, statement } = evaluateServiceControlPolicies([FULL_AWS_ACCESS, renderGuardrailPolicy(parameters)], {
    action: request.action ?? STOP,
    resource: STREAM,
    context,
  });
  return { decision, ...(statement ? { statement } : {}) };
}
const DENIED = { decision: 'ExplicitDeny', statement: 'DenyStopEncryptionUnlessExemptOrBreakGlass' };

describe('the guardrail SCP (infra/organization-guardrail.yml), evaluated', () => {
  it('denies an ordinary user stopping encryption on an untagged stream: StringNotEquals* on an absent tag is true', () => {
    expect(guardrail({})).toEqual(DENIED);
  });

  it('allows it on a stream tagged sse-guard:exempt=true, the value compared ignoring case as the remediator does', () => {
    expect(guardrail({ tags: { 'sse-guard:exempt': 'true' } }).decision).toBe('Allow');
    expect(guardrail({ tags: { 'sse-guard:exempt': 'True' } }).decision).toBe('Allow');
    // IAM: "Tag keys are not case-sensitive" in aws:ResourceTag/<key>.
    expect(guardrail({ tags: { 'SSE-GUARD:EXEMPT': 'true' } }).decision).toBe('Allow');
  });

  it.each([['false'], [''], ['yes']])('denies it when the exemption tag is %j', (value) => {
    expect(guardrail({ tags: { 'sse-guard:exempt': value, owner: 'alice' } })).toEqual(DENIED);
  });

  it('allows a break-glass role session: aws:PrincipalArn is the role ARN, not the session ARN', () => {
    const session = assumedRoleIdentity(`arn:aws:iam::${ACCOUNT}:role/break-glass-oncall`, 'bob', 'ASIABOB');
    expect(session.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/break-glass-oncall/bob`);
    expect(principalArnOf(session)).toBe(`arn:aws:iam::${ACCOUNT}:role/break-glass-oncall`);
    expect(guardrail({ principal: principalArnOf(session) }).decision).toBe('Allow');
    expect(guardrail({ principal: session.arn })).toEqual(DENIED); // a pattern naming sessions would never match
  });

  it('matches break-glass patterns per ARN component, the role path included', () => {
    const inPath = `arn:aws:iam::${ACCOUNT}:role/ops/break-glass-oncall`;
    expect(guardrail({ principal: inPath })).toEqual(DENIED); // role/break-glass-* does not reach under /ops/
    const withPath = { BreakGlassRoleArns: [`arn:aws:iam::${ACCOUNT}:role/other`, 'arn:aws:iam::*:role/ops/break-glass-*'] };
    expect(guardrail({ principal: inPath }, withPath).decision).toBe('Allow');
    expect(guardrail({ principal: `arn:aws:iam::${ACCOUNT}:role/other` }, withPath).decision).toBe('Allow');
    expect(guardrail({ principal: `arn:aws:iam::${ACCOUNT}:role/break-glass-oncall` }, withPath)).toEqual(DENIED);
    expect(guardrail({ principal: `arn:aws:iam::${ACCOUNT}:user/break-glass-oncall` })).toEqual(DENIED);
  });

  it('follows the template parameters for the tag key and value', () => {
    const custom = { ExemptTagKey: 'compliance/opt-out', ExemptTagValue: 'approved' };
    expect(guardrail({ tags: { 'compliance/opt-out': 'approved' } }, custom).decision).toBe('Allow');
    expect(guardrail({ tags: { 'sse-guard:exempt': 'true' } }, custom)).toEqual(DENIED);
  });

  it.each([['firehose:StartDeliveryStreamEncryption'], ['firehose:DescribeDeliveryStream'], ['firehose:DeleteDeliveryStream']])(
    'leaves %s alone',
    (action) => {
      expect(guardrail({ action })).toEqual({ decision: 'Allow', statement: 'policy[0].Statement[0]' });
    },
  );

  it('allows nothing on its own: without FullAWSAccess every call is implicitly denied', () => {
    const request = { action: 'firehose:DescribeDeliveryStream', resource: STREAM, context: {} };
    expect(evaluateServiceControlPolicies([renderGuardrailPolicy()], request)).toEqual({ decision: 'ImplicitDeny' });
  });

  it('refuses parameter values that the template AllowedPattern refuses, as CloudFormation would', () => {
    expect(() => renderGuardrailPolicy({ ExemptTagValue: 'x", "y' })).toThrow(/ExemptTagValue.*fails/);
    expect(() => renderGuardrailPolicy({ ExemptTagKey: 'aws:reserved' })).toThrow(PolicyDocumentError);
    expect(() => renderGuardrailPolicy({ BreakGlassRoleArns: `arn:aws:sts::${ACCOUNT}:assumed-role/r/s` })).toThrow(/BreakGlassRoleArns/);
    expect(() => renderGuardrailPolicy({ ExemptTagvalue: 'true' })).toThrow(/no such parameter: ExemptTagvalue/);
  });
});

describe('the SCP evaluator: IAM condition semantics', () => {
  const decide = (statement: Record<string, unknown>, context: Record<string, string | undefined> = {}, action = STOP) =>
    evaluateServiceControlPolicies([JSON.stringify({ Version: '2012-10-17', Statement: statement })], {
      action,
      resource: STREAM,
      context,
    }).decision;
  const allowIf = (Condition: Record<string, unknown>) => ({ Effect: 'Allow', Action: '*', Resource: '*', Condition });

  it('matches actions case-insensitively with * and ?, resources per ARN component', () => {
    expect(decide({ Effect: 'Deny', Action: 'FIREHOSE:stop*', Resource: '*' })).toBe('ExplicitDeny');
    expect(decide({ Effect: 'Deny', Action: 'firehose:St?pDeliveryStreamEncryption', Resource: '*' })).toBe('ExplicitDeny');
    expect(decide({ Effect: 'Deny', Action: 'firehose:Start*', Resource: '*' })).toBe('ImplicitDeny');
    expect(decide({ Effect: 'Deny', Action: '*', Resource: 'arn:aws:firehose:*:*:deliverystream/ord*' })).toBe('ExplicitDeny');
    expect(decide({ Effect: 'Deny', Action: '*', Resource: 'arn:aws:firehose:eu-*:*:deliverystream/*' })).toBe('ImplicitDeny');
    expect(decide({ Effect: 'Deny', Action: '*', Resource: 'arn:aws:firehose:*:*:deliverystream/ORDERS' })).toBe('ImplicitDeny');
  });

  it('inverts the match with NotAction and NotResource', () => {
    const denyAllBut = { Effect: 'Deny', NotAction: ['firehose:Describe*', 'firehose:List*'], Resource: '*' };
    expect(decide(denyAllBut)).toBe('ExplicitDeny');
    expect(decide(denyAllBut, {}, 'firehose:DescribeDeliveryStream')).toBe('ImplicitDeny');
    expect(decide({ Effect: 'Deny', Action: '*', NotResource: 'arn:aws:firehose:*:*:deliverystream/orders' })).toBe('ImplicitDeny');
  });

  it('treats an absent key as a mismatch, except for negated operators, ...IfExists and Null', () => {
    expect(decide(allowIf({ StringEquals: { 'aws:PrincipalTag/team': 'data' } }))).toBe('ImplicitDeny');
    expect(decide(allowIf({ StringLike: { 'aws:PrincipalTag/team': '*' } }))).toBe('ImplicitDeny');
    expect(decide(allowIf({ StringNotEquals: { 'aws:PrincipalTag/team': 'data' } }))).toBe('Allow');
    expect(decide(allowIf({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/*' } }))).toBe('Allow');
    expect(decide(allowIf({ StringEqualsIfExists: { 'aws:PrincipalTag/team': 'data' } }))).toBe('Allow');
    expect(decide(allowIf({ StringEqualsIfExists: { 'aws:PrincipalTag/team': 'data' } }), { 'aws:PrincipalTag/team': 'web' })).toBe(
      'ImplicitDeny',
    );
    expect(decide(allowIf({ ArnLikeIfExists: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' } }), { 'aws:PrincipalArn': ALICE })).toBe(
      'Allow',
    );
    expect(decide(allowIf({ Null: { 'aws:PrincipalTag/team': 'true' } }))).toBe('Allow');
    expect(decide(allowIf({ Null: { 'aws:PrincipalTag/team': 'false' } }))).toBe('ImplicitDeny');
    expect(decide(allowIf({ Null: { 'aws:PrincipalTag/team': false } }), { 'aws:PrincipalTag/team': 'web' })).toBe('Allow');
  });

  it('ORs the values of one key, ANDs keys and operators; a negated operator holds only when no value matches', () => {
    const many = { 'aws:PrincipalArn': ['arn:aws:iam::*:user/bob', 'arn:aws:iam::*:user/alice'] };
    expect(decide(allowIf({ ArnLike: many }), { 'aws:PrincipalArn': ALICE })).toBe('Allow');
    expect(decide(allowIf({ ArnNotLike: many }), { 'aws:PrincipalArn': ALICE })).toBe('ImplicitDeny');
    const both = {
      StringEquals: { 'aws:PrincipalTag/team': 'data', 'aws:PrincipalAccount': ACCOUNT },
      Bool: { 'aws:SecureTransport': true },
    };
    const context = { 'aws:PrincipalTag/team': 'data', 'aws:PrincipalAccount': ACCOUNT, 'aws:SecureTransport': 'true' };
    expect(decide(allowIf(both), context)).toBe('Allow');
    expect(decide(allowIf(both), { ...context, 'aws:SecureTransport': 'false' })).toBe('ImplicitDeny');
    expect(decide(allowIf(both), { ...context, 'aws:PrincipalAccount': '210987654321' })).toBe('ImplicitDeny');
  });

  it('compares key names ignoring case, values by the operator: case-sensitive unless IgnoreCase, Bool either way', () => {
    expect(decide(allowIf({ StringEquals: { 'AWS:principaltag/Team': 'data' } }), { 'aws:PrincipalTag/team': 'data' })).toBe('Allow');
    expect(decide(allowIf({ StringEquals: { 'aws:PrincipalTag/team': 'Data' } }), { 'aws:PrincipalTag/team': 'data' })).toBe(
      'ImplicitDeny',
    );
    expect(decide(allowIf({ StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Data' } }), { 'aws:PrincipalTag/team': 'data' })).toBe(
      'Allow',
    );
    expect(decide(allowIf({ Bool: { 'aws:SecureTransport': 'TRUE' } }), { 'aws:SecureTransport': 'true' })).toBe('Allow');
    expect(decide(allowIf({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/ALICE' } }), { 'aws:PrincipalArn': ALICE })).toBe(
      'ImplicitDeny',
    );
    expect(decide(allowIf({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:*' } }), { 'aws:PrincipalArn': 'arn:aws:sts::1:x' })).toBe(
      'ImplicitDeny',
    );
  });

  it('lets an explicit Deny win over any Allow, in any of the policies', () => {
    const deny = '{"Version":"2012-10-17","Statement":{"Sid":"NoStop","Effect":"Deny","Action":"firehose:Stop*","Resource":"*"}}';
    expect(evaluateServiceControlPolicies([FULL_AWS_ACCESS, deny], { action: STOP, resource: STREAM, context: {} })).toEqual({
      decision: 'ExplicitDeny',
      statement: 'NoStop',
      policy: 1,
    });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['a Principal', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }] }, /Principal/],
    [
      'a misspelt element',
      { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Conditon: {} }] },
      /Conditon/,
    ],
    ['an old Version', { Version: '2008-10-17', Statement: [] }, /Version/],
    [
      'both Action and NotAction',
      { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: '*', NotAction: 'a:b', Resource: '*' } },
      /exactly one/,
    ],
    ['no Resource', { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: '*' } }, /Resource/],
    [
      'an unmodelled operator',
      { Version: '2012-10-17', Statement: allowIf({ NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }) },
      /NumericLessThan/,
    ],
    ['a set operator', { Version: '2012-10-17', Statement: allowIf({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'a*' } }) }, /ForAnyValue/],
    ['NullIfExists', { Version: '2012-10-17', Statement: allowIf({ NullIfExists: { 'aws:TagKeys': 'true' } }) }, /NullIfExists/],
    [
      'a policy variable',
      { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: '*', Resource: 'arn:aws:iam::*:user/${aws:username}' } },
      /variables/,
    ],
  ])('refuses a document with %s rather than evaluate it wrongly', (_what, document, message) => {
    expect(() => parsePolicyDocument(typeof document === 'string' ? document : JSON.stringify(document))).toThrow(message);
  });
});

describe('the local account: a Stop that the guardrail denies', () => {
  async function account() {
    const emulator = new FirehoseEmulator({ clock: new ManualClock(Date.UTC(2026, 10, 1)), timings: { creatingMs: 0, enablingMs: 0 } });
    const destination = { ExtendedS3DestinationConfiguration: { RoleARN: `arn:aws:iam::${ACCOUNT}:role/r`, BucketARN: 'arn:aws:s3:::b' } };
    for (const [name, tags] of [
      ['orders', []],
      ['sandbox', [{ Key: 'sse-guard:exempt', Value: 'true' }]],
    ] as const) {
      await emulator.call('firehose', 'CreateDeliveryStream', {
        DeliveryStreamName: name,
        ...destination,
        ...(tags.length ? { Tags: tags } : {}),
      });
      await emulator.call('firehose', 'StartDeliveryStreamEncryption', {
        DeliveryStreamName: name,
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      });
    }
    // The account and region the calls act in: the emulator's home (an emulator cell has the same shape).
    const home = { account: ACCOUNT, region: 'us-east-1', partition: 'aws', firehose: emulator.firehose };
    const scps = new ServiceControlPolicies();
    scps.attach(renderGuardrailPolicy());
    const stop = (DeliveryStreamName: string, identity = iamUserIdentity(ACCOUNT, 'alice', 'AKIAALICE')) =>
      scps.authorize({ service: 'firehose', operation: 'StopDeliveryStreamEncryption', input: { DeliveryStreamName }, identity }, home);
    return { home, scps, stop };
  }
  const refusal = (act: () => void): AwsServiceError | undefined => {
    try {
      act();
      return undefined;
    } catch (error) {
      return error as AwsServiceError;
    }
  };

  it('answers AccessDeniedException with the message AWS gives for an explicit deny in an SCP', async () => {
    const { stop } = await account();
    const error = refusal(() => stop('orders'));
    expect(error).toMatchObject({ type: 'AccessDeniedException', statusCode: 400 });
    expect(error?.message).toBe(
      `User: ${ALICE} is not authorized to perform: firehose:StopDeliveryStreamEncryption on resource: ${STREAM} ` +
        'with an explicit deny in a service control policy',
    );
  });

  it("names the session as the user, and the denying policy's ARN when the account knows it", async () => {
    const { home, scps } = await account();
    const policyArn = `arn:aws:organizations::210987654321:policy/o-abcdefghij/service_control_policy/p-guard123`;
    scps.detachAll();
    scps.attach(renderGuardrailPolicy(), policyArn);
    const identity = assumedRoleIdentity(`arn:aws:iam::${ACCOUNT}:role/Developer`, 'carol', 'ASIACAROL');
    const error = refusal(() =>
      scps.authorize(
        { service: 'firehose', operation: 'StopDeliveryStreamEncryption', input: { DeliveryStreamName: 'orders' }, identity },
        home,
      ),
    );
    expect(error?.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/Developer/carol is not authorized to perform: firehose:StopDeliveryStreamEncryption ` +
        `on resource: ${STREAM} with an explicit deny in a service control policy: ${policyArn}`,
    );
  });

  it('lets the exempt stream, a break-glass role, other operations and the KMS calls through', async () => {
    const { home, scps, stop } = await account();
    expect(refusal(() => stop('sandbox'))).toBeUndefined();
    expect(
      refusal(() => stop('orders', assumedRoleIdentity(`arn:aws:iam::${ACCOUNT}:role/break-glass-ops`, 'dave', 'ASIADAVE'))),
    ).toBeUndefined();
    const identity = iamUserIdentity(ACCOUNT, 'alice', 'AKIAALICE');
    for (const operation of ['StartDeliveryStreamEncryption', 'DescribeDeliveryStream', 'ListDeliveryStreams'])
      expect(
        refusal(() => scps.authorize({ service: 'firehose', operation, input: { DeliveryStreamName: 'orders' }, identity }, home)),
      ).toBe(undefined);
    expect(refusal(() => scps.authorize({ service: 'kms', operation: 'ListKeys', input: {}, identity }, home))).toBeUndefined();
  });

  it('does not apply to service-linked roles nor to the management account, as in AWS', async () => {
    const { home } = await account();
    const linked = assumedRoleIdentity(
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/firehose.amazonaws.com/AWSServiceRoleForFirehose`,
      's',
      'ASIA1',
    );
    const input = { DeliveryStreamName: 'orders' };
    const inManagement = new ServiceControlPolicies({ managementAccountId: ACCOUNT });
    inManagement.attach(renderGuardrailPolicy());
    const identity = iamUserIdentity(ACCOUNT, 'alice', 'AKIAALICE');
    expect(
      refusal(() => inManagement.authorize({ service: 'firehose', operation: 'StopDeliveryStreamEncryption', input, identity }, home)),
    ).toBe(undefined);
    const member = new ServiceControlPolicies();
    member.attach(renderGuardrailPolicy());
    expect(
      refusal(() => member.authorize({ service: 'firehose', operation: 'StopDeliveryStreamEncryption', input, identity: linked }, home)),
    ).toBeUndefined();
  });

  it('authorizes a Stop on a stream that does not exist on its ARN, without tags', async () => {
    const { stop } = await account();
    expect(refusal(() => stop('missing'))?.message).toContain(
      `on resource: arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/missing with`,
    );
  });

  it(`refuses to attach a document over ${SCP_MAX_CHARACTERS} characters, as Organizations does`, () => {
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'x'.repeat(SCP_MAX_CHARACTERS), Resource: '*' }],
    });
    expect(() => new ServiceControlPolicies().attach(big)).toThrow(PolicyDocumentError);
  });
});
