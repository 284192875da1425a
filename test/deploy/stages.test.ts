import { beforeAll, describe, expect, it } from 'vitest';
import { packageService, type Packaged } from '../support/package.ts';
import { actions, allStatements, environmentOf } from '../support/template.ts';
import { claimValue } from '../../functions/adapters/enforcement-claims.ts';

const ORGANIZATION = 'o-abc1234567';

/** Properties that name a resource within an account and region (or a global one, as IAM's RoleName). */
const PHYSICAL_NAMES = [
  'Name',
  'FunctionName',
  'StateMachineName',
  'TableName',
  'QueueName',
  'RoleName',
  'DashboardName',
  'RegistryName',
  'TopicName',
  'AlarmName',
  'ArchiveName',
  'LogGroupName',
  'StatementId',
];

/** Every literal physical name a template gives, with the resource that gives it. */
function physicalNames(packaged: Packaged): Map<string, string> {
  const names = new Map<string, string>();
  for (const [id, resource] of Object.entries(packaged.template.Resources))
    for (const key of PHYSICAL_NAMES) {
      const value = resource.Properties?.[key];
      // A reference (Ref, GetAtt) names a resource of the same stack: only literal names can collide.
      if (typeof value === 'string') names.set(value, `${id}.${key}`);
    }
  return names;
}

const statements = allStatements;
const environment = environmentOf;

/**
 * Issue 14: "Two stages in one account or organization never both remediate a stream: their rules,
 * roles and names are scoped per stage, and a test proves it on the packaged templates."
 * The mechanism: one enforcing stage per account and region (a fixed-name claim that a second
 * enforcing stage cannot create), every other stage in audit mode, whose roles cannot start
 * encryption; names and member roles per stage.
 */
describe('two stages in one account (osls package, offline)', () => {
  let prod: Packaged;
  let dev: Packaged;
  let devEnforcing: Packaged;
  beforeAll(async () => {
    prod = await packageService({ organizationId: ORGANIZATION }, 'prod');
    dev = await packageService({ organizationId: ORGANIZATION, mode: 'audit' }, 'dev');
    devEnforcing = await packageService({ organizationId: ORGANIZATION }, 'dev');
  }, 360_000);

  it('share no physical name, but for the enforcement claim that only one of them may hold', () => {
    const prodNames = physicalNames(prod);
    const devNames = physicalNames(devEnforcing);
    const shared = [...prodNames.keys()].filter((name) => devNames.has(name)).map((name) => `${name} (${prodNames.get(name)})`);
    // The claim is the one name meant to collide.
    expect(shared).toEqual(['/firehose-sse-guard/enforcing-stage (EnforcementClaim.Name)']);
    expect(prodNames.size).toBeGreaterThan(15);
  });

  it('an enforcing stage claims the account and region with a name of no stage: a second enforcing stage fails to deploy', () => {
    const claim = prod.template.Resources.EnforcementClaim;
    expect(claim).toMatchObject({
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: '/firehose-sse-guard/enforcing-stage',
        Value: { 'Fn::Sub': 'firehose-sse-guard-prod (central ${AWS::AccountId})' },
      },
    });
    // The value Inspect compares its own with (functions/adapters/enforcement-claims.ts claimValue), and reads with ssm:GetParameter.
    expect(claimValue('prod', '${AWS::AccountId}')).toBe('firehose-sse-guard-prod (central ${AWS::AccountId})');
    expect(environment(prod, 'Inspect').FSG_STAGE).toBe('prod');
    expect(statements(prod).some((s) => actions(s).includes('ssm:GetParameter'))).toBe(true);
    expect(statements(dev).some((s) => actions(s).includes('ssm:GetParameter'))).toBe(false);
    expect(devEnforcing.template.Resources.EnforcementClaim?.Properties.Name).toBe(claim?.Properties.Name);
  });

  it('an audit stage holds no claim and cannot start (or stop) encryption: no role of it has the action', () => {
    expect(dev.template.Resources.EnforcementClaim).toBeUndefined();
    const writes = statements(dev).filter((s) => actions(s).some((a) => /^firehose:(Start|Stop)DeliveryStreamEncryption$/.test(a)));
    expect(writes).toEqual([]);
    expect(statements(prod).some((s) => actions(s).includes('firehose:StartDeliveryStreamEncryption'))).toBe(true);
    expect(environment(dev, 'Enable').FSG_MODE).toBe('audit');
  });

  it("assumes its own stage's member role in member accounts, never another stage's", () => {
    expect(environment(prod, 'Enable').FSG_MEMBER_ROLE_NAME).toBe('firehose-sse-guard-prod-member');
    expect(environment(dev, 'Enable').FSG_MEMBER_ROLE_NAME).toBe('firehose-sse-guard-dev-member');
    const assumable = (p: Packaged) =>
      statements(p)
        .filter((s) => actions(s).includes('sts:AssumeRole'))
        .map((s) => JSON.stringify(s.Resource));
    expect(new Set(assumable(prod))).toEqual(
      new Set([JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/firehose-sse-guard-prod-member' })]),
    );
    // And only roles of the organization's accounts (aws:ResourceOrgID).
    for (const st of statements(prod).filter((x) => actions(x).includes('sts:AssumeRole')))
      expect((st as { Condition?: unknown }).Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': ORGANIZATION } });
    expect(new Set(assumable(dev))).toEqual(
      new Set([JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/firehose-sse-guard-dev-member' })]),
    );
  });
});
