import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const member = readFileSync(new URL('../../infra/organization-member.yml', import.meta.url), 'utf8');
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
