import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRIGGER_RULES } from '../../functions/domain/intake/triggers.ts';
import { packageService, type Packaged } from '../support/package.ts';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const FUNCTIONS = ['Inspect', 'Enable', 'Check', 'Conclude', 'Intake', 'Sweep'];

function statementsOf(packaged: Packaged, roleId: string): Statement[] {
  const role = packaged.template.Resources[roleId]!;
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourceText = (s: Statement): string => JSON.stringify(s.Resource);

describe('the deployment (osls package, offline)', () => {
  let packaged: Packaged;
  let withKeys: Packaged;
  beforeAll(async () => {
    // One after the other: both build in the project's esbuild work folder.
    packaged = await packageService();
    withKeys = await packageService({ keyType: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: KEY, organizationId: 'o-abc123', alarmEmail: 'sec@example.com' });
  }, 240_000);

  const resourcesOfType = (p: Packaged, type: string) => Object.entries(p.template.Resources).filter(([, r]) => r.Type === type);

  it('gives every function its own role', () => {
    const roles = FUNCTIONS.map((f) => packaged.template.Resources[`${f}LambdaFunction`]!.Properties.Role as { 'Fn::GetAtt': [string, string] });
    expect(roles.map((r) => r['Fn::GetAtt'][0])).toEqual(FUNCTIONS.map((f) => `${f}Role`));
    expect(packaged.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [id, fn] of resourcesOfType(packaged, 'AWS::Lambda::Function')) expect((fn.Properties.Runtime as string), id).toBe('nodejs22.x');
  });

  it('has no IAM statement with Action "*" or a service wildcard, in any role', () => {
    for (const p of [packaged, withKeys]) {
      for (const [id] of resourcesOfType(p, 'AWS::IAM::Role')) {
        for (const s of statementsOf(p, id)) for (const a of actions(s)) expect(a, `${id}: ${a}`).not.toMatch(/^\*$|:\*$/);
      }
    }
  });

  it('scopes Firehose actions to the account\'s deliverystream/* (ListDeliveryStreams, which has no resource type, excepted)', () => {
    for (const [id] of resourcesOfType(packaged, 'AWS::IAM::Role')) {
      for (const s of statementsOf(packaged, id).filter((st) => actions(st).some((a) => a.startsWith('firehose:')))) {
        if (actions(s).join() === 'firehose:ListDeliveryStreams') {
          expect(s.Resource).toBe('*');
          continue;
        }
        expect(resourceText(s), id).toBe(JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:firehose:*:${AWS::AccountId}:deliverystream/*' }));
      }
    }
    const writers = resourcesOfType(packaged, 'AWS::IAM::Role').filter(([id]) => statementsOf(packaged, id).some((s) => actions(s).includes('firehose:StartDeliveryStreamEncryption')));
    expect(writers.map(([id]) => id)).toEqual(['EnableRole']);
  });

  it('grants KMS only on the configured keys, and none with the AWS owned key', () => {
    const kms = (p: Packaged) => resourcesOfType(p, 'AWS::IAM::Role').flatMap(([id]) => statementsOf(p, id).filter((s) => actions(s).some((a) => a.startsWith('kms:'))).map((s) => ({ id, s })));
    expect(kms(packaged)).toEqual([]);
    const statements = kms(withKeys);
    expect(statements.map(({ id }) => id)).toEqual(['EnableRole', 'EnableRole']);
    for (const { s } of statements) expect(s.Resource).toEqual([KEY]);
    expect(statements.find(({ s }) => actions(s).includes('kms:CreateGrant'))?.s.Condition).toMatchObject({ StringLike: { 'kms:ViaService': 'firehose.*.amazonaws.com' } });
  });

  it('scopes DynamoDB to the table, StartExecution to the state machine, PutEvents to the bus', () => {
    for (const [id] of resourcesOfType(packaged, 'AWS::IAM::Role').filter(([rid]) => FUNCTIONS.map((f) => `${f}Role`).includes(rid))) {
      for (const s of statementsOf(packaged, id)) {
        const a = actions(s);
        if (a.some((x) => x.startsWith('dynamodb:'))) expect(s.Resource, id).toEqual({ 'Fn::GetAtt': ['StateTable', 'Arn'] });
        if (a.includes('states:StartExecution')) expect(s.Resource, id).toEqual({ Ref: 'RemediateStateMachine' });
        if (a.includes('events:PutEvents')) expect(s.Resource, id).toEqual({ 'Fn::GetAtt': ['ComplianceBus', 'Arn'] });
      }
    }
  });

  it('routes each trigger rule\'s pattern (the infra/ file) to the intake, and the schedule to the sweep', () => {
    const rules = resourcesOfType(packaged, 'AWS::Events::Rule');
    for (const rule of Object.values(TRIGGER_RULES)) {
      const pattern: unknown = JSON.parse(readFileSync(new URL(`../../infra/event-patterns/${rule.pattern}`, import.meta.url), 'utf8'));
      const matching = rules.filter(([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern));
      expect(matching, rule.pattern).toHaveLength(1);
      const targets = matching[0]![1].Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] }; DeadLetterConfig?: unknown }[];
      expect(targets.map((t) => t.Arn['Fn::GetAtt'][0])).toEqual(['IntakeLambdaFunction']);
      expect(targets[0]!.DeadLetterConfig).toBeDefined();
    }
    const schedules = rules.filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules.map(([, r]) => (r.Properties.Targets as { Arn: { 'Fn::GetAtt': [string] } }[])[0]!.Arn['Fn::GetAtt'][0])).toEqual(['SweepLambdaFunction']);
    expect(schedules[0]![1].Properties.ScheduleExpression).toBe('rate(6 hours)');
  });

  it('deploys exactly the infra/ state machine definition', () => {
    const [text, substitutions] = (packaged.template.Resources.RemediateStateMachine!.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, { 'Fn::GetAtt': [string, string] }>] })['Fn::Sub'];
    const deployed = JSON.parse(text.replace(/"\$\{(\w+)\}"/g, (_, key: string) => JSON.stringify({ 'Fn::GetAtt': [substitutions[key]!['Fn::GetAtt'][0].replace(/LambdaFunction$/, '').toLowerCase(), 'Arn'] })));
    const source: unknown = JSON.parse(readFileSync(new URL('../../infra/state-machine.asl.json', import.meta.url), 'utf8'));
    expect(deployed).toEqual(source);
  });

  it('keeps state in an on-demand, point-in-time-recovered, encrypted table, and events in an archived bus with their schemas', () => {
    const table = packaged.template.Resources.StateTable!.Properties;
    expect(table).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true } });
    expect(resourcesOfType(packaged, 'AWS::Events::Archive')).toHaveLength(1);
    const schemas = resourcesOfType(packaged, 'AWS::EventSchemas::Schema');
    expect(schemas).toHaveLength(readdirSync(new URL('../../infra/schemas/', import.meta.url)).length);
    for (const [, s] of schemas) expect(JSON.parse(s.Properties.Content as string).$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  it('has dead-letter queues, the four alarms, a dashboard, and the optional organization and e-mail resources only when asked', () => {
    expect(resourcesOfType(packaged, 'AWS::SQS::Queue').map(([id]) => id).sort()).toEqual(['IntakeDeadLetterQueue', 'RuleDeadLetterQueue']);
    expect(resourcesOfType(packaged, 'AWS::CloudWatch::Alarm').map(([id]) => id).sort()).toEqual(
      ['BudgetExhaustedAlarm', 'FailedExecutionsAlarm', 'IntakeDeadLettersAlarm', 'RuleDeadLettersAlarm', 'ThrottlingAlarm'],
    );
    expect(resourcesOfType(packaged, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    expect(packaged.template.Resources.OrganizationEventsPolicy).toBeUndefined();
    expect(withKeys.template.Resources.OrganizationEventsPolicy?.Properties).toMatchObject({ Statement: { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } } });
    expect(withKeys.template.Resources.AlarmEmail?.Properties).toMatchObject({ Endpoint: 'sec@example.com' });
  });

  it('bundles handlers that load and refuse a missing configuration clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsg-bundle-'));
    const files = unzipSync(readFileSync(join(packaged.dir, 'inspect.zip')));
    writeFileSync(join(dir, 'inspect.js'), files['functions/handlers/inspect.js']!);
    const script = `require(${JSON.stringify(join(dir, 'inspect.js'))}).handler({}, {}).then(() => process.exit(3), (e) => { console.log(e.name + ': ' + e.message); });`;
    const output = execFileSync('node', ['-e', script], { env: { PATH: process.env.PATH ?? '' } }).toString();
    expect(output).toMatch(/^InvalidConfigurationError: invalid configuration: .*STATE_TABLE_NAME: required/);
  });
});
