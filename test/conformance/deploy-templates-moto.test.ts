import { readFileSync } from 'node:fs';
import { ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.ts';
import { motoStacks, type Deployed } from '../support/moto-stacks.ts';

const MEMBER_TEMPLATE = new URL('../../infra/organization-member.yml', import.meta.url);
const FORWARDER_TEMPLATE = new URL('../../infra/regional-forwarder.yml', import.meta.url);
/** Each AWS CLI call starts a Python process (1 to 2 s on this machine kind): a deployment test takes 10 to 40 s. */
const SLOW = 150_000;

/** moto's default account is the member account (and, for the forwarder, the home account); the central account is another. */
const ACCOUNT = '123456789012';
const CENTRAL_ACCOUNT = '111122223333';
const CENTRAL_REGION = 'eu-west-1';
const OTHER_REGION = 'us-west-2';
const ORGANIZATION = 'o-a1b2c3d4e5';
const CENTRAL_BUS = `arn:aws:events:${CENTRAL_REGION}:${CENTRAL_ACCOUNT}:event-bus/default`;
const MEMBER_KEY = `arn:aws:kms:${CENTRAL_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The central stack's output MemberTrustRoleArns: its inspect, enable and check roles, named as CloudFormation names them. */
const centralRoles = (stage: string) =>
  ['InspectRole', 'EnableRole', 'CheckRole'].map(
    (r) => `arn:aws:iam::${CENTRAL_ACCOUNT}:role/firehose-sse-guard-${stage}-${r}-A1B2C3D4E5F6`,
  );
const memberParameters = (stage: string) => ({
  Stage: stage,
  CentralAccountId: CENTRAL_ACCOUNT,
  CentralRegion: CENTRAL_REGION,
  CentralRoleArns: centralRoles(stage).join(','),
});

/**
 * Deploys infra/organization-member.yml and infra/regional-forwarder.yml to moto_server's CloudFormation
 * with the AWS CLI (the project has no CloudFormation or IAM SDK client), then checks what was created
 * with IAM, EventBridge and Config calls, and deletes the stacks. What moto 5.2.1 does not do, and how
 * the assertions deal with it:
 * - it skips AWS::Config::ConfigRule ("No Moto CloudFormation support") and still reports CREATE_COMPLETE:
 *   the rule's definition is put through moto's Config API instead, which checks the managed rule's name;
 * - it lists a resource it did not create (a false condition, a skipped type) with empty ids: left out;
 * - it keeps an inline role policy as Python's str() of the document, with AWS::NoValue as None in a list
 *   (CloudFormation drops it): read back into JSON, the Nones left out;
 * - it evaluates `!Not [!Condition X]` to true whatever X (so the templates spell out each condition).
 * Stacks are created and deleted one at a time: moto_server does not serialise concurrent writes.
 */
describe('conformance: the member and forwarder templates deploy on moto CloudFormation', () => {
  let moto: MotoServer;
  const { aws, failure, bus, settled, createStack, deploy, remove, roles, inlinePolicy, rules, destroy } = motoStacks(() => moto);

  /** EventBridge alone may assume the forwarding role, which may only put events on `target`; both rules send there through it. */
  async function expectForwarding(region: string, deployed: Deployed, policyName: string, target: string, stage: string): Promise<void> {
    const roleName = deployed.resources.ForwardingRole!;
    const [all, policy, inRegion] = await Promise.all([roles(), inlinePolicy(roleName, policyName), rules(region)]);
    const forwarding = all.get(roleName)!;
    expect(forwarding.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(forwarding.Description).toContain(`(stage ${stage})`);
    expect(policy).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: target }]);
    for (const logicalId of ['FirehoseCallsRule', 'ConfigChangesRule']) {
      const rule = inRegion.find((r) => r.Name === deployed.resources[logicalId]);
      expect(rule?.Description, logicalId).toContain(`(stage ${stage})`);
      const { Targets } = await bus(region).send(new ListTargetsByRuleCommand({ Rule: rule!.Name }));
      expect(Targets?.map((t) => ({ Arn: t.Arn, RoleArn: t.RoleArn }))).toEqual([{ Arn: target, RoleArn: forwarding.Arn }]);
    }
    const calls = JSON.parse(inRegion.find((r) => r.Name === deployed.resources.FirehoseCallsRule)!.EventPattern!) as {
      source: string[];
      detail: { eventName: string[] };
    };
    expect(calls.source).toEqual(['aws.firehose']);
    expect([...calls.detail.eventName].sort()).toEqual([
      'CreateDeliveryStream',
      'DeleteDeliveryStream',
      'StartDeliveryStreamEncryption',
      'StopDeliveryStreamEncryption',
    ]);
  }

  beforeAll(async () => {
    moto = await startMoto();
  });
  beforeEach(() => moto.reset());
  afterAll(async () => {
    destroy();
    await moto?.close();
  });

  it(
    'in the central region: the member role trusts exactly the central roles, from the central account and organization; the rules forward to the central bus',
    async () => {
      const deployed = await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-prod', {
        ...memberParameters('prod'),
        OrganizationId: ORGANIZATION,
        ApprovedKeyArns: MEMBER_KEY,
        DeployConfigRule: 'true',
      });
      expect(deployed.outputs).toEqual({ MemberRoleArn: `arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-prod-member` });
      expect(deployed.resources).toEqual({
        EnforcementClaim: '/firehose-sse-guard/enforcing-stage',
        MemberRole: 'firehose-sse-guard-prod-member',
        ForwardingRole: `firehose-sse-guard-prod-member-fwd-${CENTRAL_REGION}`,
        FirehoseCallsRule: 'firehose-sse-guard-prod-member-firehose-calls',
        ConfigChangesRule: 'firehose-sse-guard-prod-member-config-changes',
      });
      const [all, statements] = await Promise.all([roles(), inlinePolicy('firehose-sse-guard-prod-member', 'firehose-sse')]);
      const member = all.get('firehose-sse-guard-prod-member')!;
      expect(member.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: centralRoles('prod') },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION, 'aws:PrincipalAccount': CENTRAL_ACCOUNT } },
          },
        ],
      });
      expect(member.MaxSessionDuration).toBe(3600);
      expect(statements.map((s) => s.Sid)).toEqual([
        'ListStreams',
        'DescribeStreams',
        'ReadEnforcementClaim',
        'ListEnabledRegions',
        'StartEncryption',
        'PreflightApprovedKeys',
        'GrantFirehoseOnApprovedKeys',
      ]);
      expect(statements[1]!.Resource).toBe(`arn:aws:firehose:*:${ACCOUNT}:deliverystream/*`);
      expect(statements[2]).toMatchObject({
        Action: 'ssm:GetParameter',
        Resource: `arn:aws:ssm:*:${ACCOUNT}:parameter/firehose-sse-guard/enforcing-stage`,
      });
      expect(statements[3]).toMatchObject({ Action: 'account:ListRegions', Resource: `arn:aws:account::${ACCOUNT}:account` });
      expect(statements[4]).toMatchObject({
        Action: 'firehose:StartDeliveryStreamEncryption',
        Resource: `arn:aws:firehose:*:${ACCOUNT}:deliverystream/*`,
      });
      expect(statements[6]).toMatchObject({
        Action: 'kms:CreateGrant',
        Resource: [MEMBER_KEY],
        Condition: { StringLike: { 'kms:ViaService': 'firehose.*.amazonaws.com' }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      });
      await expectForwarding(CENTRAL_REGION, deployed, 'put-events-central-bus', CENTRAL_BUS, 'prod');

      await remove(CENTRAL_REGION, 'member-prod');
      expect([...(await roles()).keys()]).toEqual([]);
      expect(await rules(CENTRAL_REGION)).toEqual([]);
    },
    SLOW,
  );

  it(
    'in another region: only the forwarding; the member role comes once per account, from the central region (IAM is global)',
    async () => {
      const other = await deploy(MEMBER_TEMPLATE, OTHER_REGION, 'member-prod', { ...memberParameters('prod'), DeployConfigRule: 'false' });
      expect(other.outputs).toEqual({});
      expect(Object.keys(other.resources).sort()).toEqual(['ConfigChangesRule', 'EnforcementClaim', 'FirehoseCallsRule', 'ForwardingRole']);
      await expectForwarding(OTHER_REGION, other, 'put-events-central-bus', CENTRAL_BUS, 'prod');

      // The same stage's stack in the central region beside it: each region's forwarding role has its own name.
      const central = await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-prod', memberParameters('prod'));
      expect(central.outputs.MemberRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-prod-member`);
      expect([...(await roles()).keys()].sort()).toEqual([
        'firehose-sse-guard-prod-member',
        `firehose-sse-guard-prod-member-fwd-${CENTRAL_REGION}`,
        `firehose-sse-guard-prod-member-fwd-${OTHER_REGION}`,
      ]);

      await remove(OTHER_REGION, 'member-prod');
      await remove(CENTRAL_REGION, 'member-prod');
      expect([...(await roles()).keys()]).toEqual([]);
    },
    SLOW,
  );

  it(
    'stages in one account: distinct member roles, forwarding roles and rules, each trusting only its own central roles; a custom MemberRoleName wins',
    async () => {
      await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-prod', { ...memberParameters('prod'), OrganizationId: ORGANIZATION });
      // One enforcing stage per account and region: the others audit.
      await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-qa', {
        ...memberParameters('qa'),
        MemberRoleName: 'acme-sse-remediator',
        Mode: 'audit',
      });
      const staging = await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-staging', { ...memberParameters('staging'), Mode: 'audit' });
      expect(Object.keys(staging.resources)).not.toContain('EnforcementClaim');
      const stagingStatements = await inlinePolicy('firehose-sse-guard-staging-member', 'firehose-sse');
      expect(stagingStatements.flatMap((st) => st.Action)).not.toContain('firehose:StartDeliveryStreamEncryption');
      expect(staging.outputs.MemberRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-staging-member`);

      const all = await roles();
      expect([...all.keys()].sort()).toEqual([
        'acme-sse-remediator',
        'firehose-sse-guard-prod-member',
        `firehose-sse-guard-prod-member-fwd-${CENTRAL_REGION}`,
        `firehose-sse-guard-qa-member-fwd-${CENTRAL_REGION}`,
        'firehose-sse-guard-staging-member',
        `firehose-sse-guard-staging-member-fwd-${CENTRAL_REGION}`,
      ]);
      const trust = (name: string) => all.get(name)!.AssumeRolePolicyDocument.Statement[0]!;
      expect(trust('firehose-sse-guard-prod-member').Principal).toEqual({ AWS: centralRoles('prod') });
      expect(trust('acme-sse-remediator').Principal).toEqual({ AWS: centralRoles('qa') });
      // Without OrganizationId, the central account is the one condition.
      expect(trust('firehose-sse-guard-staging-member')).toMatchObject({ Principal: { AWS: centralRoles('staging') } });
      expect(trust('firehose-sse-guard-staging-member').Condition).toEqual({ StringEquals: { 'aws:PrincipalAccount': CENTRAL_ACCOUNT } });
      expect((await rules(CENTRAL_REGION)).map((r) => r.Name).sort()).toEqual(
        ['prod', 'qa', 'staging'].flatMap((s) => [
          `firehose-sse-guard-${s}-member-config-changes`,
          `firehose-sse-guard-${s}-member-firehose-calls`,
        ]),
      );
      await expectForwarding(CENTRAL_REGION, staging, 'put-events-central-bus', CENTRAL_BUS, 'staging');

      await remove(CENTRAL_REGION, 'member-staging');
      await remove(CENTRAL_REGION, 'member-qa');
      expect([...(await roles()).keys()].sort()).toEqual([
        'firehose-sse-guard-prod-member',
        `firehose-sse-guard-prod-member-fwd-${CENTRAL_REGION}`,
      ]);
      await remove(CENTRAL_REGION, 'member-prod');
    },
    SLOW,
  );

  it(
    'the same stage twice in one account is refused on the member role name, rather than forwarding twice',
    async () => {
      await deploy(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-prod', memberParameters('prod'));
      // moto fails CreateStack itself; CloudFormation would roll the second stack back with the same reason.
      const second = await failure(
        createStack(MEMBER_TEMPLATE, CENTRAL_REGION, 'member-prod-again', memberParameters('prod')).then(() =>
          settled(CENTRAL_REGION, 'member-prod-again').then((s) => Promise.reject(new Error(`${s.StackStatus}: ${s.StackStatusReason}`))),
        ),
      );
      expect(second).toMatch(/firehose-sse-guard-prod-member already exists/);
      // moto leaves the refused stack half made (its events answer 500); beforeEach's reset clears it.
    },
    SLOW,
  );

  it(
    'a second enforcing stage is refused in an account and region the first one claimed',
    async () => {
      await deploy(MEMBER_TEMPLATE, OTHER_REGION, 'member-prod', { ...memberParameters('prod'), DeployConfigRule: 'false' });
      const second = await failure(
        createStack(MEMBER_TEMPLATE, OTHER_REGION, 'member-dev', { ...memberParameters('dev'), DeployConfigRule: 'false' }).then(() =>
          settled(OTHER_REGION, 'member-dev').then((s) => Promise.reject(new Error(`${s.StackStatus}: ${s.StackStatusReason}`))),
        ),
      );
      expect(second).toMatch(/enforcing-stage|already exists|ParameterAlreadyExists|CREATE_FAILED|ROLLBACK/);
    },
    SLOW,
  );

  it("the member template's Config rule is one moto's Config accepts: an AWS managed rule, under the intake's name", async () => {
    const text = readFileSync(MEMBER_TEMPLATE, 'utf8');
    const block = text.slice(text.indexOf('  FirehoseEncryptedRule:'), text.indexOf('  MemberRole:'));
    const field = (name: string) => new RegExp(`${name}: (\\S+)`).exec(block)![1]!;
    const rule = {
      ConfigRuleName: field('ConfigRuleName'),
      Scope: { ComplianceResourceTypes: [/ComplianceResourceTypes: \[(\S+)\]/.exec(block)![1]!] },
      Source: { Owner: field('Owner'), SourceIdentifier: field('SourceIdentifier') },
    };
    await aws(CENTRAL_REGION, 'configservice', 'put-config-rule', '--config-rule', JSON.stringify(rule));
    const { ConfigRules } = await aws<{ ConfigRules: unknown[] }>(CENTRAL_REGION, 'configservice', 'describe-config-rules');
    expect(ConfigRules).toEqual([expect.objectContaining(rule)]);
    const intake = JSON.parse(
      readFileSync(new URL('../../infra/event-patterns/config-compliance-change.json', import.meta.url), 'utf8'),
    ) as {
      detail: { configRuleName: string[] };
    };
    expect(intake.detail.configRuleName).toContain(rule.ConfigRuleName);
    // moto checks a managed rule's identifier against AWS's list: a misspelt one is refused.
    const misspelt = { ...rule, Source: { Owner: 'AWS', SourceIdentifier: 'KINESIS_FIREHOSE_STREAM_ENCRYPTED' } };
    expect(await failure(aws(CENTRAL_REGION, 'configservice', 'put-config-rule', '--config-rule', JSON.stringify(misspelt)))).toContain(
      'sourceIdentifier KINESIS_FIREHOSE_STREAM_ENCRYPTED is invalid',
    );
  });

  it(
    'the forwarder outside the home region: to the home region default bus, through a role that may only put events there',
    async () => {
      const deployed = await deploy(FORWARDER_TEMPLATE, OTHER_REGION, 'forwarder-prod', { Stage: 'prod', HomeRegion: CENTRAL_REGION });
      // An enforcing stage's forwarder claims its region: one enforcing stage per account and region.
      expect(deployed.resources).toMatchObject({ EnforcementClaim: '/firehose-sse-guard/enforcing-stage' });
      expect(Object.keys(deployed.resources).sort()).toEqual([
        'ConfigChangesRule',
        'EnforcementClaim',
        'FirehoseCallsRule',
        'ForwardingRole',
      ]);
      await expectForwarding(
        OTHER_REGION,
        deployed,
        'put-events-home-region',
        `arn:aws:events:${CENTRAL_REGION}:${ACCOUNT}:event-bus/default`,
        'prod',
      );
      await remove(OTHER_REGION, 'forwarder-prod');
      expect([...(await roles()).keys()]).toEqual([]);
      expect(await rules(OTHER_REGION)).toEqual([]);
    },
    SLOW,
  );

  it(
    'the forwarder in the home region: nothing that forwards',
    async () => {
      const deployed = await deploy(FORWARDER_TEMPLATE, CENTRAL_REGION, 'forwarder-prod', { Stage: 'prod', HomeRegion: CENTRAL_REGION });
      // Only the placeholder WaitConditionHandle, which moto does not model (so lists with empty ids).
      expect(deployed.resources).toEqual({});
      expect([...(await roles()).keys()]).toEqual([]);
      expect(await rules(CENTRAL_REGION)).toEqual([]);
      await remove(CENTRAL_REGION, 'forwarder-prod');
    },
    SLOW,
  );
});
