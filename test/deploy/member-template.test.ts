import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const member = readFileSync(new URL('../../infra/organization-member.yml', import.meta.url), 'utf8');
const forwarder = readFileSync(new URL('../../infra/regional-forwarder.yml', import.meta.url), 'utf8');
/** The text of a resource or statement block: from a line to the next line as little indented or less. */
function block(text: string, start: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes(start));
  expect(at, start).toBeGreaterThanOrEqual(0);
  const indent = (lines[at] as string).search(/\S/);
  const end = lines.findIndex((l, i) => i > at && l.trim() !== '' && l.search(/\S/) <= indent);
  return lines.slice(at, end === -1 ? undefined : end).join('\n');
}

// Issue 14: "Members trust exact central role ARNs, with an aws:PrincipalOrgID or external-ID condition, so a
// custom stack name works. The member role's KMS statements carry the same conditions as the central Enable role."
describe('infra/organization-member.yml: the member role', () => {
  it('trusts exactly the central roles it is given, from the central account and the organization: no name prefix, no wildcard', () => {
    const trust = block(member, 'AssumeRolePolicyDocument:');
    expect(trust).toContain('Principal: { AWS: !Ref CentralRoleArns }');
    expect(trust).toContain('aws:PrincipalOrgID: !Ref OrganizationId');
    expect(trust).toContain('aws:PrincipalAccount: !Ref CentralAccountId');
    expect(trust).not.toMatch(/ArnLike|\*|:root/);
  });

  it('creates KMS grants only via Firehose and for an AWS resource, as the central Enable role does', () => {
    const grant = block(member, '- Sid: GrantFirehoseOnApprovedKeys');
    expect(grant).toMatch(/Action: kms:CreateGrant\n/);
    expect(grant).toContain('kms:ViaService: firehose.*.amazonaws.com');
    expect(grant).toContain("kms:GrantIsForAWSResource: 'true'");
    expect(block(member, '- Sid: PreflightApprovedKeys')).not.toContain('CreateGrant');
  });
});

// Issue 14: "Member template. It optionally deploys the managed Config rule KINESIS_FIREHOSE_DELIVERY_STREAM_ENCRYPTED and the forwarder rules."
describe('infra/organization-member.yml: the optional Config rule', () => {
  it('deploys the managed rule only when asked, under the name the intake listens for', () => {
    const rule = block(member, 'FirehoseEncryptedRule:');
    expect(rule).toContain('Condition: WithConfigRule');
    expect(rule).toContain('SourceIdentifier: KINESIS_FIREHOSE_DELIVERY_STREAM_ENCRYPTED');
    const name = /ConfigRuleName: (\S+)/.exec(rule)?.[1];
    const pattern = JSON.parse(
      readFileSync(new URL('../../infra/event-patterns/config-compliance-change.json', import.meta.url), 'utf8'),
    ) as {
      detail: { configRuleName: unknown[] };
    };
    expect(pattern.detail.configRuleName).toContain(name);
    expect(member).toMatch(/WithConfigRule: !Equals \[!Ref DeployConfigRule, 'true'\]/);
    expect(block(member, 'DeployConfigRule:')).toContain("Default: 'false'");
  });
});

/** `${Name}` in a !Sub string, from `values`: a name it does not know fails the test. */
function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([\w:]+)\}/g, (_all, name: string) => {
    expect(values, `\${${name}} in ${text}`).toHaveProperty([name]);
    return values[name]!;
  });
}
const defaultOf = (template: string, parameter: string) => /Default: '?([^'\n]*)'?/.exec(block(template, `  ${parameter}:`))?.[1] ?? '';

/**
 * The member role's name as CloudFormation resolves the template's own `RoleName: !If [...]` for these
 * parameters: the condition's parameter empty means the stage's !Sub name, else that parameter.
 */
function memberRoleName(parameters: { Stage?: string; MemberRoleName?: string }): string {
  const [, condition, stageName, custom] = /RoleName: !If \[(\w+), !Sub '([^']+)', !Ref (\w+)\]/.exec(block(member, 'MemberRole:'))!;
  expect(member).toContain(`  ${condition}: !Equals [!Ref ${custom}, '']`);
  const value = (name: string) => (parameters as Record<string, string | undefined>)[name] ?? defaultOf(member, name);
  return value(custom!) === '' ? substitute(stageName!, { Stage: value('Stage') }) : value(custom!);
}

// Issue 14: "Two stages in one account or organization never both remediate a stream: their rules, roles and
// names are scoped per stage." IAM: "IAM user, group, role, and policy names must be unique within the account"
// (CreateRole, RoleName); a member account holds one member role per stage.
describe('infra/organization-member.yml and infra/regional-forwarder.yml: names per stage', () => {
  it("names the member role per stage, as serverless.yml's memberRoleName does: two stages' roles differ", () => {
    expect(memberRoleName({})).toBe('firehose-sse-guard-prod-member');
    expect(memberRoleName({ Stage: 'staging' })).toBe('firehose-sse-guard-staging-member');
    expect(memberRoleName({ Stage: 'staging' })).not.toBe(memberRoleName({ Stage: 'prod' }));
    const central = /^\s+memberRoleName: (\S+)/m.exec(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8'))?.[1];
    for (const stage of ['prod', 'staging']) expect(central?.replace('${sls:stage}', stage)).toBe(memberRoleName({ Stage: stage }));
  });

  it('lets a custom MemberRoleName win over the stage default', () => {
    expect(memberRoleName({ Stage: 'staging', MemberRoleName: 'acme-sse-remediator' })).toBe('acme-sse-remediator');
    expect(memberRoleName({ MemberRoleName: 'acme-sse-remediator' })).toBe('acme-sse-remediator');
  });

  it('takes the same Stage parameter in both templates: prod by default, at most 16 letters, digits and hyphens', () => {
    for (const template of [member, forwarder]) {
      const stage = block(template, '  Stage:');
      expect(stage).toContain('Default: prod');
      expect(stage).toContain("AllowedPattern: '^[a-zA-Z0-9-]{1,16}$'");
    }
    expect(block(member, '  MemberRoleName:')).toContain("Default: ''");
  });

  // The CloudFormation resource schemas (as cfn-lint 1.51 bundles them): AWS::IAM::Role RoleName and
  // AWS::Events::Rule Name have "maxLength": 64; a !Sub name is only known at deploy time, so it is checked here.
  it("names the member's forwarding role and rules per stage (and the role per region), within 64 characters", () => {
    const names = [...member.matchAll(/^\s+(?:RoleName|Name): !Sub '([^']+)'/gm)].map((m) => m[1]!);
    expect(names).toEqual([
      'firehose-sse-guard-${Stage}-member-fwd-${AWS::Region}',
      'firehose-sse-guard-${Stage}-member-firehose-calls',
      'firehose-sse-guard-${Stage}-member-config-changes',
    ]);
    // The longest stage the pattern allows, and the longest region name botocore knows.
    const longest = { Stage: 'x'.repeat(16), 'AWS::Region': 'us-isof-south-1' };
    for (const name of [...names, 'firehose-sse-guard-${Stage}-member'])
      expect(substitute(name, longest).length, name).toBeLessThanOrEqual(64);
    const prod = names.map((n) => substitute(n, { Stage: 'prod', 'AWS::Region': 'eu-west-1' }));
    const dev = names.map((n) => substitute(n, { Stage: 'dev', 'AWS::Region': 'eu-west-1' }));
    expect(prod.filter((n) => dev.includes(n))).toEqual([]);
  });

  it('says the stage in the description of every role and rule of both templates', () => {
    for (const template of [member, forwarder]) {
      const resources = [...template.matchAll(/^ {2}(\w+):\n {4}Type: AWS::(?:IAM::Role|Events::Rule)$/gm)].map((m) => m[1]!);
      expect(resources.length).toBeGreaterThanOrEqual(3);
      for (const id of resources) expect(block(template, `  ${id}:`), id).toMatch(/Description: !Sub .*\(stage \$\{Stage\}\)/);
    }
  });
});

// Issue 14: "Two stages in one account or organization never both remediate a stream."
describe('infra/organization-member.yml: one enforcing stage per member account and region', () => {
  it('an enforcing stage claims the account and region under a name of no stage; an audit stage neither claims nor may start encryption', () => {
    const claim = block(member, '  EnforcementClaim:');
    expect(claim).toContain('Type: AWS::SSM::Parameter');
    expect(claim).toContain('Condition: ClaimsHere');
    expect(claim).toContain('Name: /firehose-sse-guard/enforcing-stage');
    // In the central account, the central stack and its forwarders hold the claims.
    expect(block(member, '  ClaimsHere:')).toMatch(
      /Equals \[!Ref Mode, enforce\][\s\S]*!Not \[!Equals \[!Ref CentralAccountId, !Ref 'AWS::AccountId'\]\]/,
    );
    // The forwarder claims the central account's other regions, in the same format as the central stack.
    const forwarderClaim = block(forwarder, '  EnforcementClaim:');
    expect(forwarderClaim).toContain('Condition: ClaimsHere');
    expect(forwarderClaim).toContain('Name: /firehose-sse-guard/enforcing-stage');
    expect(forwarderClaim).toContain("Value: !Sub 'firehose-sse-guard-${Stage} (central ${AWS::AccountId})'");
    expect(claim).toContain("Value: !Sub 'firehose-sse-guard-${Stage} (central ${CentralAccountId})'");
    expect(block(member, '- Sid: StartEncryption')).toContain('Action: firehose:StartDeliveryStreamEncryption');
    expect(block(member, '- Sid: DescribeStreams')).not.toContain('StartDeliveryStreamEncryption');
    // The Start statement is the `Enforcing` branch of an !If: an audit stage's role has none.
    const lines = member.split('\n');
    const startAt = lines.findIndex((l) => l.includes('- Sid: StartEncryption'));
    expect(lines[startAt - 1]?.trim()).toBe('- Enforcing');
  });
});
