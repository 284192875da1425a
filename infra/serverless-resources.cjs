// CloudFormation resources of serverless.yml, built from the files in infra/ so that each fact lives
// once: the state table, the event schemas, every function's permissions (infra/permissions.cjs) and
// the optional compliance history (infra/history-resources.cjs).
const fs = require('node:fs');
const path = require('node:path');

const { permissions, serviceRole, sub, isTrue, BUS, STATE_MACHINE } = require('./permissions.cjs');
const read = (file) => JSON.parse(fs.readFileSync(path.join(__dirname, file), 'utf8'));
/** A function's ARN from its name: a GetAtt of the intake would close a cycle (intake → state machine → conclude → intake). */
const functionArn = (name) => sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${name}`);

/** The compliance events a Security Hub finding follows: functions/domain/findings.ts FINDING_EVENT_TYPES (the template test compares). */
const FINDING_EVENT_TYPES = ['Stream Evaluated', 'Remediation Succeeded', 'Remediation Deferred', 'Remediation Failed'];
const { historyResources } = require('./history-resources.cjs');

/**
 * The optional findings function (parameter securityHub=true): a rule on the compliance bus sends it
 * the per-stream outcome events. With the default (false) there is no function, rule nor role.
 */
module.exports.findingsFunction = async ({ resolveVariable }) => {
  if (!isTrue(await resolveVariable('param:securityHub'))) return {};
  const pattern = { source: ['firehose-sse-guard'], 'detail-type': FINDING_EVENT_TYPES };
  const delivery = {
    deadLetterQueueArn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] },
    retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 10 },
  };
  return {
    findings: {
      handler: 'functions/handlers/findings.handler',
      role: 'FindingsRole',
      events: [{ eventBridge: { eventBus: { Ref: 'ComplianceBus' }, pattern, ...delivery } }],
    },
  };
};

function role(fn, name, statements) {
  const ownLogs = {
    Sid: 'OwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${name}:*`),
  };
  return serviceRole(`firehose-sse-guard ${fn}: only what ${fn} needs`, { Service: 'lambda.amazonaws.com' }, `${fn}-least-privilege`, [
    ownLogs,
    ...statements,
  ]);
}

const queue = (extra = {}) => ({
  Type: 'AWS::SQS::Queue',
  Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true, ...extra },
});

function alarm(description, props) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      ...props,
    },
  };
}

const executionMetric = (name, stateMachine = STATE_MACHINE) => ({
  Namespace: 'AWS/States',
  MetricName: name,
  Dimensions: [{ Name: 'StateMachineArn', Value: stateMachine }],
  Statistic: 'Sum',
  Period: 300,
});

const SWEEP_STATE_MACHINE = { Ref: 'SweepStateMachine' };
const executionMetricId = (name) => ({
  Namespace: 'AWS/States',
  MetricName: name,
  Dimensions: [{ Name: 'StateMachineArn', Value: SWEEP_STATE_MACHINE }],
});

const guardMetric = (name, stat = 'Sum', extra = {}) => ({
  Namespace: 'FirehoseSseGuard',
  MetricName: name,
  Dimensions: [{ Name: 'service', Value: 'firehose-sse-guard' }],
  Statistic: stat,
  Period: 300,
  ...extra,
});

function dashboard(region, stateMachineArnExpr) {
  const m = (name) => ['FirehoseSseGuard', name, 'service', 'firehose-sse-guard'];
  const widget = (title, metrics, extra = {}) => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region, metrics, period: 300, view: 'timeSeries', ...extra },
  });
  const body = {
    widgets: [
      widget(
        'Compliance by status (workflow outcomes)',
        ['COMPLIANT', 'REMEDIATED', 'NOT_APPLICABLE', 'EXEMPT', 'DEFERRED', 'FAILED', 'GONE'].map((s) => [
          ...m(`Outcome${s}`),
          { stat: 'Sum', label: s },
        ]),
        { stacked: true },
      ),
      widget('Remediations', [
        [...m('OutcomeREMEDIATED'), { stat: 'Sum' }],
        [...m('EncryptionCallsSpent'), { stat: 'Sum' }],
      ]),
      widget('Time to compliant (s)', [
        [...m('TimeToCompliant'), { stat: 'Average' }],
        [...m('TimeToCompliant'), { stat: 'p90' }],
      ]),
      widget('Lowest remaining budget (calls the remediator has left on a stream)', [
        [...m('RemainingEncryptionCalls'), { stat: 'Minimum' }],
        [...m('BudgetExhausted'), { stat: 'Sum' }],
      ]),
      widget('Non-compliant streams at the last sweep', [
        [...m('NonCompliantStreams'), { stat: 'Maximum' }],
        [...m('SweepStreamsEvaluated'), { stat: 'Sum' }],
      ]),
      widget(
        'Executions',
        ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((metric) => [
          'AWS/States',
          metric,
          'StateMachineArn',
          stateMachineArnExpr,
        ]),
      ),
    ],
  };
  return JSON.stringify(body).replaceAll('"STATE_MACHINE_ARN"', '"${RemediateStateMachine}"');
}

module.exports.resources = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('aws:region');
  const guard = await resolveVariable('self:custom.guard');
  const names = {
    ...Object.fromEntries(
      ['inspect', 'enable', 'check', 'conclude', 'cleanup', 'intake', 'sweep', 'findings'].map((fn) => [fn, `${service}-${stage}-${fn}`]),
    ),
    // serverless.yml names the state machine so: a GetAtt would close a cycle (the machine invokes the sweep function).
    sweepMachine: `${service}-${stage}-sweep`,
  };
  const perms = permissions(guard, names);
  const Resources = {
    StateTable: read('resources/state-table.json'),
    ComplianceBus: { Type: 'AWS::Events::EventBus', Properties: { Name: `${service}-${stage}-compliance` } },
    ComplianceArchive: {
      Type: 'AWS::Events::Archive',
      Properties: {
        Description: 'Every compliance event, for dashboards to replay',
        SourceArn: BUS,
        RetentionDays: 400,
        EventPattern: { source: ['firehose-sse-guard'] },
      },
    },
    SchemaRegistry: {
      Type: 'AWS::EventSchemas::Registry',
      Properties: { RegistryName: `${service}-${stage}`, Description: 'firehose-sse-guard compliance events' },
    },
    IntakeDeadLetterQueue: queue(),
    RuleDeadLetterQueue: queue(),
    RuleDeadLetterQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'RuleDeadLetterQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'EventBridgeRuleDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
      },
    },
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'alias/aws/sns' } },
    FailedExecutionsAlarm: alarm(
      'A remediation execution failed (for example ConcludeFailed); the cleanup function released its lease',
      executionMetric('ExecutionsFailed'),
    ),
    ExecutionsTimedOutAlarm: alarm(
      'A remediation execution timed out; the cleanup function released its lease',
      executionMetric('ExecutionsTimedOut'),
    ),
    ExecutionsAbortedAlarm: alarm(
      'A remediation execution was aborted (stopped); the cleanup function released its lease',
      executionMetric('ExecutionsAborted'),
    ),
    // The sweep state machine retries each invocation; an execution that still fails (or times out) left streams unswept.
    SweepFailedAlarm: alarm('A scheduled sweep failed or timed out: the next one starts afresh at the next schedule', {
      Metrics: [
        { Id: 'failed', MetricStat: { Metric: executionMetricId('ExecutionsFailed'), Period: 300, Stat: 'Sum' }, ReturnData: false },
        { Id: 'timedOut', MetricStat: { Metric: executionMetricId('ExecutionsTimedOut'), Period: 300, Stat: 'Sum' }, ReturnData: false },
        { Id: 'total', Expression: 'failed + timedOut', ReturnData: true },
      ],
    }),
    // A target (account and region) the sweep could not cover: no member role, a refused call, an opt-in region.
    SweepTargetsFailedAlarm: alarm(
      'An account or region could not be swept (see the Organization Compliance Snapshot event for which and why)',
      guardMetric('SweepTargetsFailed'),
    ),
    RemediationFailedAlarm: alarm(
      'A stream could not be remediated: a FAILED outcome (see the Remediation Failed event for the reason)',
      guardMetric('OutcomeFAILED'),
    ),
    IntakeDeadLettersAlarm: alarm('Events or invocations were dead-lettered', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['IntakeDeadLetterQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
    }),
    RuleDeadLettersAlarm: alarm(
      `EventBridge could not deliver trigger events to the intake${isTrue(guard.securityHub) ? ', or outcome events to the findings function (Security Hub)' : ''}${isTrue(guard.history) ? ', or compliance events to the history stream' : ''}`,
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
      },
    ),
    BudgetExhaustedAlarm: alarm('A stream was deferred because its 25-call encryption budget is spent', guardMetric('BudgetExhausted')),
    ThrottlingAlarm: alarm('Lambda or Step Functions throttling', {
      Metrics: [
        {
          Id: 'intake',
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: names.intake }] },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'sweep',
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: names.sweep }] },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'executions',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/States',
              MetricName: 'ExecutionThrottled',
              Dimensions: [{ Name: 'StateMachineArn', Value: STATE_MACHINE }],
            },
            Period: 300,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        { Id: 'total', Expression: 'intake + sweep + executions', Label: 'Throttles', ReturnData: true },
      ],
    }),
    RetryScheduleGroup: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: `${service}-${stage}` } },
    RetrySchedulerRole: serviceRole(
      'firehose-sse-guard retry schedules: invoke the intake, nothing else',
      { Service: 'scheduler.amazonaws.com' },
      'invoke-intake',
      [{ Sid: 'InvokeIntake', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: functionArn(names.intake) }],
      // Only schedules of this account may use the role (confused deputy).
      { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    ),
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: `${service}-${stage}`, DashboardBody: sub(dashboard(region, 'STATE_MACHINE_ARN')) },
    },
  };
  for (const file of fs.readdirSync(path.join(__dirname, 'schemas'))) {
    const schema = read(`schemas/${file}`);
    const id = file.replace(/\.json$/, '').replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase());
    Resources[`${id}Schema`] = {
      Type: 'AWS::EventSchemas::Schema',
      Properties: {
        RegistryName: { 'Fn::GetAtt': ['SchemaRegistry', 'RegistryName'] },
        SchemaName: `firehose-sse-guard@${schema.title.replace(/ \(.*$/, '').replace(/ /g, '')}`,
        Type: 'JSONSchemaDraft4',
        Description: schema.description,
        Content: JSON.stringify(schema),
      },
    };
  }
  for (const [fn, statements] of Object.entries(perms)) {
    Resources[`${fn.charAt(0).toUpperCase()}${fn.slice(1)}Role`] = role(fn, names[fn], statements);
  }
  if (guard.mode !== 'audit') {
    // One enforcing stage per account and region: a second one fails to deploy on this name (stages that
    // share an account run `mode: audit`, whose Enable role has no StartDeliveryStreamEncryption).
    Resources.EnforcementClaim = {
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: '/firehose-sse-guard/enforcing-stage',
        Type: 'String',
        // The stage and its central account (functions/adapters/enforcement-claims.ts claimValue): Inspect compares it.
        Value: sub(`${service}-${stage} (central \${AWS::AccountId})`),
        Description: 'The one firehose-sse-guard stage that remediates in this account and region; deploy other stages with mode=audit',
      },
    };
  }
  if (guard.alarmEmail) {
    Resources.AlarmEmail = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: guard.alarmEmail },
    };
  }
  if (guard.organizationId) {
    // Member accounts (infra/organization-member.yml) forward their Firehose and Config events here.
    Resources.OrganizationEventsPolicy = {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        StatementId: `${service}-${stage}-members`,
        EventBusName: 'default',
        Statement: {
          Sid: `${service}-${stage}-members`,
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default'),
          Condition: { StringEquals: { 'aws:PrincipalOrgID': guard.organizationId } },
        },
      },
    };
  }
  const Outputs = {
    ComplianceBusName: { Value: { Ref: 'ComplianceBus' }, Description: 'Subscribe dashboards to this bus (source firehose-sse-guard)' },
    MemberTrustRoleArns: {
      Value: {
        'Fn::Join': [',', ['InspectRole', 'EnableRole', 'CheckRole', 'SweepRole'].map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] }))],
      },
      Description: 'The roles that act in member accounts: the CentralRoleArns parameter of infra/organization-member.yml',
    },
    ComplianceBusArn: {
      Value: BUS,
      Description: 'The compliance events bus (dashboards and SIEMs subscribe here); forwarders target the default bus',
    },
    StateTableName: { Value: { Ref: 'StateTable' } },
    StateMachineArn: { Value: STATE_MACHINE },
    EnableRoleArn: { Value: { 'Fn::GetAtt': ['EnableRole', 'Arn'] }, Description: 'The role behind every Start call of the remediator' },
    DashboardName: { Value: { Ref: 'Dashboard' } },
  };
  // Optional (history=true): compliance events to S3 through Firehose, a Glue table, an Athena workgroup.
  if (isTrue(guard.history)) {
    const history = historyResources({ service, stage, guard, region });
    Object.assign(Resources, history.Resources);
    Object.assign(Outputs, history.Outputs);
  }
  return { Resources, Outputs };
};
