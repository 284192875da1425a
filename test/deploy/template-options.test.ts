import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDING_EVENT_TYPES } from '../../functions/domain/findings.ts';
import { packageService, type Packaged } from '../support/package.ts';
import { actions, resourcesOfType, resourceText, statementsOf } from '../support/template.ts';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const FUNCTIONS = ['Inspect', 'Enable', 'Check', 'Conclude', 'Cleanup', 'Intake', 'Sweep'];
const RETRY_VARIABLES = ['RETRY_SCHEDULE_GROUP', 'RETRY_SCHEDULER_ROLE_ARN', 'RETRY_TARGET_ARN'];

describe('the deployment, its retries and options (osls package, offline; the same packages as template.test.ts)', () => {
  let packaged: Packaged;
  let withKeys: Packaged;
  beforeAll(async () => {
    // One after the other: both build in the project's esbuild work folder.
    packaged = await packageService();
    withKeys = await packageService({
      keyType: 'CUSTOMER_MANAGED_CMK',
      approvedKeyArns: KEY,
      organizationId: 'o-abc123',
      alarmEmail: 'sec@example.com',
      securityHub: 'true',
      history: 'true',
    });
  }, 240_000);

  it('deploys the retry scheduler: a schedule group per stage, and a role only Scheduler (for this account) assumes, that may only invoke the intake', () => {
    expect(packaged.template.Resources.RetryScheduleGroup).toEqual({
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: 'firehose-sse-guard-test' },
    });
    const role = packaged.template.Resources.RetrySchedulerRole!.Properties;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    const intakeName = packaged.template.Resources.IntakeLambdaFunction!.Properties.FunctionName as string;
    expect(statementsOf(packaged, 'RetrySchedulerRole')).toEqual([
      {
        Sid: 'InvokeIntake',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${intakeName}` },
      },
    ]);
  });

  it('lets only Conclude and the cleanup schedule retries: in the group only, passing only the scheduler role, to Scheduler only', () => {
    const intakeName = packaged.template.Resources.IntakeLambdaFunction!.Properties.FunctionName as string;
    for (const fn of ['Conclude', 'Cleanup']) {
      const scheduling = statementsOf(packaged, `${fn}Role`).filter((s) =>
        actions(s).some((a) => a.startsWith('scheduler:') || a.startsWith('iam:')),
      );
      expect(scheduling, fn).toEqual([
        {
          Sid: 'ScheduleRetries',
          Effect: 'Allow',
          Action: ['scheduler:CreateSchedule'],
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${RetryScheduleGroup}/*' },
        },
        {
          Sid: 'PassRetrySchedulerRole',
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: { 'Fn::GetAtt': ['RetrySchedulerRole', 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]);
      expect(packaged.template.Resources[`${fn}LambdaFunction`]!.Properties.Environment, fn).toMatchObject({
        Variables: {
          RETRY_SCHEDULE_GROUP: { Ref: 'RetryScheduleGroup' },
          RETRY_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': ['RetrySchedulerRole', 'Arn'] },
          RETRY_TARGET_ARN: { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${intakeName}` },
        },
      });
    }
    for (const [id] of resourcesOfType(packaged, 'AWS::IAM::Role').filter(([rid]) => !['ConcludeRole', 'CleanupRole'].includes(rid))) {
      expect(
        statementsOf(packaged, id)
          .flatMap(actions)
          .filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole'),
        id,
      ).toEqual([]);
    }
    for (const fn of FUNCTIONS.filter((f) => !['Conclude', 'Cleanup'].includes(f))) {
      const variables = Object.keys(
        (packaged.template.Resources[`${fn}LambdaFunction`]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      );
      expect(
        variables.filter((v) => RETRY_VARIABLES.includes(v)),
        fn,
      ).toEqual([]);
    }
  });

  // Issue 15: "An optional deployed integration imports an ASFF finding per stream into AWS Security Hub".
  it('deploys no findings function, role nor rule by default (securityHub=false)', () => {
    expect(packaged.template.Resources.FindingsLambdaFunction).toBeUndefined();
    expect(packaged.template.Resources.FindingsRole).toBeUndefined();
    expect(JSON.stringify(packaged.template.Resources)).not.toMatch(/securityhub:|FindingsLambdaFunction/);
  });

  it('with securityHub=true, gives the findings function its own role with BatchImportFindings on this account default product only', () => {
    const fn = withKeys.template.Resources.FindingsLambdaFunction!;
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': ['FindingsRole', 'Arn'] });
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    const statements = statementsOf(withKeys, 'FindingsRole');
    expect(statements.filter((s) => s.Sid !== 'OwnLogs')).toEqual([
      {
        Sid: 'ImportFindings',
        Effect: 'Allow',
        Action: ['securityhub:BatchImportFindings'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default' },
      },
    ]);
    expect(resourceText(statements.find((s) => s.Sid === 'OwnLogs')!)).toContain('/aws/lambda/firehose-sse-guard-test-findings:*');
    // No other role may import findings.
    for (const [id] of resourcesOfType(withKeys, 'AWS::IAM::Role').filter(([rid]) => rid !== 'FindingsRole'))
      expect(
        statementsOf(withKeys, id)
          .flatMap(actions)
          .filter((a) => a.startsWith('securityhub:')),
        id,
      ).toEqual([]);
  });

  it('with securityHub=true, routes the per-stream outcome events of the compliance bus to it, with retries and the rule dead-letter queue', () => {
    const rules = resourcesOfType(withKeys, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes('FindingsLambdaFunction'),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.EventBusName).toEqual({ Ref: 'ComplianceBus' });
    expect(rule.Properties.EventPattern).toEqual({ source: ['firehose-sse-guard'], 'detail-type': [...FINDING_EVENT_TYPES] });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['FindingsLambdaFunction', 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      }),
    ]);
    // What the dead-letter queue's alarm says it watches.
    expect(withKeys.template.Resources.RuleDeadLettersAlarm!.Properties.AlarmDescription).toMatch(/findings function/);
    expect(packaged.template.Resources.RuleDeadLettersAlarm!.Properties.AlarmDescription).not.toMatch(/findings/);
  });

  it('bundles handlers that load and refuse a missing configuration clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsg-bundle-'));
    const files = unzipSync(readFileSync(join(packaged.dir, 'inspect.zip')));
    writeFileSync(join(dir, 'inspect.js'), files['functions/handlers/inspect.js']!);
    const script = `require(${JSON.stringify(join(dir, 'inspect.js'))}).handler({}, {}).then(() => process.exit(3), (e) => { console.log(e.name + ': ' + e.message); });`;
    const output = execFileSync('node', ['-e', script], { env: { PATH: process.env.PATH ?? '' } }).toString();
    expect(output).toMatch(/^InvalidConfigurationError: invalid configuration: .*STATE_TABLE_NAME: required/);
  });

  // Issue 15: "A deployable path to query compliance history": only with history=true, its stream encrypted with an approved key.
  it('deploys the compliance history path only when asked, its Firehose stream encrypted at rest with an approved key', () => {
    expect(resourcesOfType(packaged, 'AWS::KinesisFirehose::DeliveryStream')).toEqual([]);
    const streams = resourcesOfType(withKeys, 'AWS::KinesisFirehose::DeliveryStream');
    expect(streams).toHaveLength(1);
    expect(streams[0]?.[1].Properties).toMatchObject({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: KEY },
    });
    expect(resourcesOfType(withKeys, 'AWS::Glue::Table')).toHaveLength(1);
    expect(Object.keys(withKeys.template.Outputs ?? {})).toEqual(expect.arrayContaining(['HistoryBucketName', 'HistoryTableName']));
  });
});
