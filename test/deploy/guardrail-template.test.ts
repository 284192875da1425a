import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXEMPT_TAG_KEY } from '../../functions/domain/policy.ts';
import {
  parsePolicyDocument,
  readGuardrailTemplate,
  renderGuardrailPolicy,
  SCP_MAX_CHARACTERS,
} from '../../local/emulator/service-control-policy.ts';

// Issue: "Offer an optional guardrail: a service control policy, deployed to the organization and documented,
// that denies firehose:StopDeliveryStreamEncryption on delivery streams unless the stream carries the exemption
// tag (aws:ResourceTag/...) or the caller is a named break-glass role."
//
// Service Authorization Reference, Amazon Kinesis Firehose (service prefix firehose),
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisfirehose.html:
// StopDeliveryStreamEncryption takes the resource type deliverystream (required), whose ARN is
// "arn:${Partition}:firehose:${Region}:${Account}:deliverystream/${DeliveryStreamName}" and whose condition
// key is aws:ResourceTag/${TagKey}. aws:PrincipalArn is a global key ("Do not specify the assumed role session
// ARN as a value for this condition key", reference_policies_condition-keys.html). Organizations quotas
// (orgs_reference_limits.html): an SCP holds at most 5,120 characters, and "All characters in your SCP count
// against its maximum size" (orgs_manage_policies_scps_syntax.html).
const SAR_DELIVERYSTREAM_ARN = 'arn:${Partition}:firehose:${Region}:${Account}:deliverystream/${DeliveryStreamName}';
const DOCUMENTED_KEYS = ['aws:ResourceTag/${TagKey}', 'aws:PrincipalArn'];

interface GuardrailStatement {
  Sid: string;
  Effect: string;
  Action: string;
  Resource: string;
  Condition: Record<string, Record<string, string | string[]>>;
}
const statementsOf = (text: string) => (JSON.parse(text) as { Statement: GuardrailStatement[] }).Statement;

describe('infra/organization-guardrail.yml', () => {
  const { parameters } = readGuardrailTemplate();
  const template = readFileSync(new URL('../../infra/organization-guardrail.yml', import.meta.url), 'utf8');

  it('is one SERVICE_CONTROL_POLICY attached to the targets it is given, with no default target', () => {
    expect(template.match(/Type: AWS::Organizations::Policy\n/g)).toHaveLength(1);
    expect(template).toMatch(/^ {6}Type: SERVICE_CONTROL_POLICY$/m);
    expect(template).toMatch(/^ {6}TargetIds: !Ref TargetIds$/m);
    expect(parameters.TargetIds).toEqual({ type: 'CommaDelimitedList', allowedPattern: expect.any(String) });
    const target = new RegExp(parameters.TargetIds!.allowedPattern!);
    for (const id of ['r-ab12', 'ou-ab12-abcdefgh', '123456789012']) expect(target.test(id), id).toBe(true);
    for (const id of ['o-abcdefghij', 'p-12345678', '12345']) expect(target.test(id), id).toBe(false);
  });

  it('defaults to the exemption tag the remediator uses (serverless.yml exemptTagKey/exemptTagValues)', () => {
    const serverless = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8');
    const param = (name: string) => new RegExp(`^ +${name}: '([^']*)'$`, 'm').exec(serverless)?.[1];
    expect(parameters.ExemptTagKey?.default).toBe(param('exemptTagKey'));
    expect(parameters.ExemptTagKey?.default).toBe(DEFAULT_EXEMPT_TAG_KEY);
    expect(param('exemptTagValues')?.split(',')).toContain(parameters.ExemptTagValue?.default);
  });

  it('denies only firehose:StopDeliveryStreamEncryption, on the documented deliverystream ARN, with documented keys', () => {
    const [statement, ...others] = statementsOf(renderGuardrailPolicy({}, 'aws-cn'));
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Deny', Action: 'firehose:StopDeliveryStreamEncryption' });
    const arnForm = new RegExp(`^${SAR_DELIVERYSTREAM_ARN.replace(/\$\{\w+\}/g, '[^:]+')}$`);
    expect(statement!.Resource).toMatch(arnForm);
    expect(statement!.Resource).toBe('arn:aws-cn:firehose:*:*:deliverystream/*');
    const keys = Object.values(statement!.Condition).flatMap((block) => Object.keys(block));
    expect(keys.map((k) => k.replace(/^aws:ResourceTag\/.+$/, 'aws:ResourceTag/${TagKey}'))).toEqual(DOCUMENTED_KEYS);
    expect(statement!.Condition).toEqual({
      StringNotEqualsIgnoreCase: { 'aws:ResourceTag/sse-guard:exempt': 'true' },
      ArnNotLike: { 'aws:PrincipalArn': ['arn:*:iam::*:role/break-glass-*'] },
    });
  });

  it('puts every break-glass role in the one ArnNotLike list, and the tag parameters in the tag condition', () => {
    const roles = [
      'arn:aws:iam::*:role/break-glass-*',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*',
    ];
    const [statement] = statementsOf(
      renderGuardrailPolicy({ ExemptTagKey: 'team:opt-out', ExemptTagValue: 'approved', BreakGlassRoleArns: roles.join(',') }),
    );
    expect(statement!.Condition).toEqual({
      StringNotEqualsIgnoreCase: { 'aws:ResourceTag/team:opt-out': 'approved' },
      ArnNotLike: { 'aws:PrincipalArn': roles },
    });
  });

  it(`stays within ${SCP_MAX_CHARACTERS} characters, whitespace included, with the longest tag and 20 long break-glass patterns`, () => {
    const longest = {
      ExemptTagKey: 'k'.repeat(128),
      ExemptTagValue: 'v'.repeat(256),
      BreakGlassRoleArns: Array.from(
        { length: 20 },
        (_, i) => `arn:aws-us-gov:iam::${String(i).padStart(12, '0')}:role/${'r'.repeat(100)}`,
      ),
    };
    const text = renderGuardrailPolicy(longest, 'aws-us-gov');
    expect(text.length).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
    expect(renderGuardrailPolicy().length).toBeLessThan(500);
    expect(parsePolicyDocument(text)).toHaveLength(1);
  });

  it('lets no parameter value break out of its JSON string: the patterns exclude quotes, backslashes and ${', () => {
    for (const name of ['ExemptTagKey', 'ExemptTagValue', 'BreakGlassRoleArns']) {
      const pattern = new RegExp(parameters[name]!.allowedPattern!, 'u');
      for (const hostile of ['a"b', 'a\\b', 'a${AWS::Region}'])
        expect(pattern.test(`arn:aws:iam::*:role/${hostile}`), `${name} ${hostile}`).toBe(false);
    }
  });

  it('outputs the policy id and ARN', () => {
    expect(template).toMatch(/PolicyId:\n.*\n {4}Value: !Ref GuardrailPolicy\n/);
    expect(template).toMatch(/PolicyArn:\n.*\n {4}Value: !GetAtt GuardrailPolicy\.Arn\n/);
  });
});
