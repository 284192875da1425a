import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRIGGER_RULES } from '../../functions/domain/intake/triggers.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/handlers/observability.ts';
import { packageService, type Packaged } from '../support/package.ts';
import { actions, resourcesOfType, resourceText, statementsOf, type Statement } from '../support/template.ts';
import { EXPECTED_ACTIONS } from './expected-actions.ts';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const FUNCTIONS = ['Inspect', 'Enable', 'Check', 'Conclude', 'Cleanup', 'Intake', 'Sweep'];
const STATE_MACHINE = { Ref: 'RemediateStateMachine' };
const EXECUTIONS = { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${RemediateStateMachine.Name}:*' };

describe('the deployment (osls package, offline)', () => {
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

  it('gives every function its own role', () => {
    const roles = FUNCTIONS.map(
      (f) => packaged.template.Resources[`${f}LambdaFunction`]!.Properties.Role as { 'Fn::GetAtt': [string, string] },
    );
    expect(roles.map((r) => r['Fn::GetAtt'][0])).toEqual(FUNCTIONS.map((f) => `${f}Role`));
    expect(packaged.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [id, fn] of resourcesOfType(packaged, 'AWS::Lambda::Function'))
      expect(fn.Properties.Runtime as string, id).toBe('nodejs22.x');
  });

  it('has no IAM statement with Action "*" or a service wildcard, in any role', () => {
    for (const p of [packaged, withKeys]) {
      for (const [id] of resourcesOfType(p, 'AWS::IAM::Role')) {
        for (const s of statementsOf(p, id)) for (const a of actions(s)) expect(a, `${id}: ${a}`).not.toMatch(/^\*$|:\*$/);
      }
    }
  });

  it("scopes Firehose actions to the account's deliverystream/* (ListDeliveryStreams, which has no resource type, excepted)", () => {
    for (const [id] of resourcesOfType(packaged, 'AWS::IAM::Role')) {
      for (const s of statementsOf(packaged, id).filter((st) => actions(st).some((a) => a.startsWith('firehose:')))) {
        if (actions(s).join() === 'firehose:ListDeliveryStreams') {
          expect(s.Resource).toBe('*');
          continue;
        }
        expect(resourceText(s), id).toBe(
          JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:firehose:*:${AWS::AccountId}:deliverystream/*' }),
        );
      }
    }
    const writers = resourcesOfType(packaged, 'AWS::IAM::Role').filter(([id]) =>
      statementsOf(packaged, id).some((s) => actions(s).includes('firehose:StartDeliveryStreamEncryption')),
    );
    expect(writers.map(([id]) => id)).toEqual(['EnableRole']);
  });

  it('grants KMS only on the configured keys, and none with the AWS owned key', () => {
    const kms = (p: Packaged) =>
      resourcesOfType(p, 'AWS::IAM::Role').flatMap(([id]) =>
        statementsOf(p, id)
          .filter((s) => actions(s).some((a) => a.startsWith('kms:')))
          .map((s) => ({ id, s })),
      );
    expect(kms(packaged)).toEqual([]);
    const statements = kms(withKeys);
    expect(statements.map(({ id, s }) => `${id} ${actions(s).join(',')}`)).toEqual([
      'InspectRole kms:DescribeKey,kms:GetKeyPolicy',
      'EnableRole kms:DescribeKey,kms:GetKeyPolicy',
      'EnableRole kms:CreateGrant',
      'CheckRole kms:DescribeKey,kms:GetKeyPolicy',
    ]);
    for (const { s } of statements) expect(s.Resource).toEqual([KEY]);
    expect(statements.find(({ s }) => actions(s).includes('kms:CreateGrant'))?.s.Condition).toMatchObject({
      StringLike: { 'kms:ViaService': 'firehose.*.amazonaws.com' },
    });
  });

  it('grants each function exactly the actions its stores and clients call (besides its own logs)', () => {
    // test/deploy/expected-actions.ts: each role's actions, read off functions/adapters.
    const expected = EXPECTED_ACTIONS;
    for (const [id, list] of Object.entries(expected)) {
      expect(
        statementsOf(withKeys, id)
          .filter((s) => s.Sid !== 'OwnLogs')
          .flatMap(actions),
        id,
      ).toEqual(list);
    }
    for (const id of Object.keys(expected)) {
      expect(
        statementsOf(packaged, id)
          .flatMap(actions)
          .filter((a) => a.startsWith('kms:') || a === 'sts:AssumeRole' || a.startsWith('organizations:') || a.startsWith('account:')),
        id,
      ).toEqual([]);
    }
  });

  it('scopes DynamoDB to the table, StartExecution to the state machine, DescribeExecution to its executions, PutEvents to the bus', () => {
    for (const [id] of resourcesOfType(packaged, 'AWS::IAM::Role').filter(([rid]) => FUNCTIONS.map((f) => `${f}Role`).includes(rid))) {
      for (const s of statementsOf(packaged, id)) {
        const a = actions(s);
        if (a.some((x) => x.startsWith('dynamodb:'))) expect(s.Resource, id).toEqual({ 'Fn::GetAtt': ['StateTable', 'Arn'] });
        if (a.includes('states:StartExecution')) expect(s.Resource, id).toEqual({ Ref: 'RemediateStateMachine' });
        if (a.includes('states:DescribeExecution')) expect(s.Resource, id).toEqual(EXECUTIONS);
        if (a.includes('events:PutEvents')) expect(s.Resource, id).toEqual({ 'Fn::GetAtt': ['ComplianceBus', 'Arn'] });
      }
    }
  });

  it("routes each trigger rule's pattern (the infra/ file) to the intake, and the schedule to the sweep", () => {
    const rules = resourcesOfType(packaged, 'AWS::Events::Rule');
    for (const rule of Object.values(TRIGGER_RULES)) {
      const pattern: unknown = JSON.parse(readFileSync(new URL(`../../infra/event-patterns/${rule.pattern}`, import.meta.url), 'utf8'));
      const matching = rules.filter(([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern));
      expect(matching, rule.pattern).toHaveLength(1);
      const targets = matching[0]![1].Properties.Targets as { Arn: { 'Fn::GetAtt': [string, string] }; DeadLetterConfig?: unknown }[];
      expect(targets.map((t) => t.Arn['Fn::GetAtt'][0])).toEqual(['IntakeLambdaFunction']);
      expect(targets[0]!.DeadLetterConfig).toBeDefined();
    }
    const toIntake = rules.filter(([, r]) =>
      (r.Properties.Targets as { Arn: { 'Fn::GetAtt'?: [string] } }[]).some((t) => t.Arn['Fn::GetAtt']?.[0] === 'IntakeLambdaFunction'),
    );
    expect(toIntake, 'one rule per row of the trigger table, no other').toHaveLength(Object.keys(TRIGGER_RULES).length);
    const schedules = rules.filter(([, r]) => r.Properties.ScheduleExpression);
    // Issue 13: "The sweep's continuation never self-throttles": the schedule starts the sweep state
    // machine, which invokes the sweep Lambda step after step; the Lambda may invoke nothing.
    expect(schedules.map(([, r]) => (r.Properties.Targets as { Arn: { Ref: string } }[])[0]!.Arn.Ref)).toEqual(['SweepStateMachine']);
    expect(schedules[0]![1].Properties.ScheduleExpression).toBe('rate(6 hours)');
    const sweepMachineRole = packaged.template.Resources.SweepStateMachineRole!.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[];
    };
    expect(sweepMachineRole.Policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((st) => st.Action))).toEqual([
      'lambda:InvokeFunction',
    ]);
    expect(JSON.stringify(sweepMachineRole.Policies)).not.toMatch(/Intake|Inspect|Enable|Check|Conclude|Cleanup/);
    expect(packaged.template.Resources.SweepLambdaFunction?.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('deploys exactly the infra/ state machine definition', () => {
    const [text, substitutions] = (
      packaged.template.Resources.RemediateStateMachine!.Properties.DefinitionString as {
        'Fn::Sub': [string, Record<string, { 'Fn::GetAtt': [string, string] }>];
      }
    )['Fn::Sub'];
    const deployed = JSON.parse(
      text.replace(/"\$\{(\w+)\}"/g, (_, key: string) =>
        JSON.stringify({ 'Fn::GetAtt': [substitutions[key]!['Fn::GetAtt'][0].replace(/LambdaFunction$/, '').toLowerCase(), 'Arn'] }),
      ),
    );
    const source: unknown = JSON.parse(readFileSync(new URL('../../infra/state-machine.asl.json', import.meta.url), 'utf8'));
    expect(deployed).toEqual(source);
  });

  it('keeps state in an on-demand, point-in-time-recovered, encrypted table, and events in an archived bus with their schemas', () => {
    const table = packaged.template.Resources.StateTable!.Properties;
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(resourcesOfType(packaged, 'AWS::Events::Archive')).toHaveLength(1);
    const schemas = resourcesOfType(packaged, 'AWS::EventSchemas::Schema');
    expect(schemas).toHaveLength(readdirSync(new URL('../../infra/schemas/', import.meta.url)).length);
    for (const [, s] of schemas)
      expect((JSON.parse(s.Properties.Content as string) as { $schema: string }).$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  it('outputs the exact roles that act in member accounts, for the member template to trust (issue 14)', () => {
    expect(packaged.template.Outputs?.MemberTrustRoleArns).toMatchObject({
      Value: {
        'Fn::Join': [',', ['InspectRole', 'EnableRole', 'CheckRole', 'SweepRole'].map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] }))],
      },
    });
  });

  it('has dead-letter queues, the ten alarms, a dashboard, and the optional organization and e-mail resources only when asked', () => {
    expect(
      resourcesOfType(packaged, 'AWS::SQS::Queue')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['IntakeDeadLetterQueue', 'RuleDeadLetterQueue']);
    expect(
      resourcesOfType(packaged, 'AWS::CloudWatch::Alarm')
        .map(([id]) => id)
        .sort(),
    ).toEqual([
      'BudgetExhaustedAlarm',
      'ExecutionsAbortedAlarm',
      'ExecutionsTimedOutAlarm',
      'FailedExecutionsAlarm',
      'IntakeDeadLettersAlarm',
      'RemediationFailedAlarm',
      'RuleDeadLettersAlarm',
      'SweepFailedAlarm',
      'SweepTargetsFailedAlarm',
      'ThrottlingAlarm',
    ]);
    expect(resourcesOfType(packaged, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    expect(packaged.template.Resources.OrganizationEventsPolicy).toBeUndefined();
    expect(withKeys.template.Resources.OrganizationEventsPolicy?.Properties).toMatchObject({
      Statement: { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } },
    });
    expect(withKeys.template.Resources.AlarmEmail?.Properties).toMatchObject({ Endpoint: 'sec@example.com' });
  });

  // Issue 11, #10: "Failures page nobody. [...] A FAILED outcome raises no alarm. `FailedExecutionsAlarm` watches
  // only `ExecutionsFailed`; timed-out and aborted executions are not watched at all."
  it('pages the alarm topic on a FAILED outcome (the Conclude and cleanup metric), a timed-out and an aborted execution', () => {
    const alarmOn = (id: string) => packaged.template.Resources[id]!.Properties;
    const paging = {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      Statistic: 'Sum',
      Period: 300,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    };
    expect(alarmOn('RemediationFailedAlarm')).toMatchObject({
      ...paging,
      Namespace: METRICS_NAMESPACE,
      MetricName: 'OutcomeFAILED',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
    });
    for (const [id, metric] of [
      ['FailedExecutionsAlarm', 'ExecutionsFailed'],
      ['ExecutionsTimedOutAlarm', 'ExecutionsTimedOut'],
      ['ExecutionsAbortedAlarm', 'ExecutionsAborted'],
    ] as const) {
      expect(alarmOn(id), id).toMatchObject({
        ...paging,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: STATE_MACHINE }],
      });
    }
  });

  it("routes failed, timed-out and aborted executions of this stage's state machine (default bus) to the cleanup function, with a dead-letter queue and retries", () => {
    const pattern = {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [STATE_MACHINE] },
    };
    const rules = resourcesOfType(packaged, 'AWS::Events::Rule').filter(
      ([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.EventBusName ?? 'default').toBe('default');
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['CleanupLambdaFunction', 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
      }),
    ]);
    // The permission names the rule by its ARN, built from the rule's name.
    const invokers = resourcesOfType(packaged, 'AWS::Lambda::Permission').filter(([, p]) =>
      JSON.stringify(p.Properties.FunctionName).includes('CleanupLambdaFunction'),
    );
    expect(invokers.map(([, p]) => p.Properties)).toEqual([
      expect.objectContaining({ Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' }),
    ]);
    expect(JSON.stringify(invokers[0]![1].Properties.SourceArn)).toContain(JSON.stringify(rule.Properties.Name));
    expect(
      resourcesOfType(packaged, 'AWS::Events::Rule').filter(([, r]) =>
        JSON.stringify(r.Properties.Targets).includes('CleanupLambdaFunction'),
      ),
    ).toHaveLength(1);
  });

  it("gives the cleanup function Conclude's table and bus actions, and no Step Functions action (follow-ups go through the scheduler)", () => {
    const cleanup = statementsOf(packaged, 'CleanupRole');
    const conclude = statementsOf(packaged, 'ConcludeRole');
    const bySid = (statements: Statement[], sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid(cleanup, 'StateTable')).toEqual(bySid(conclude, 'StateTable'));
    expect(bySid(cleanup, 'PublishComplianceEvents')).toEqual(bySid(conclude, 'PublishComplianceEvents'));
    expect(cleanup.filter((s) => actions(s).some((a) => a.startsWith('states:')))).toEqual([]);
  });
});
