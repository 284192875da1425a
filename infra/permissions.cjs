// Every function's permissions for serverless.yml's resources (infra/serverless-resources.cjs): one list
// per function, as Cloud Custodian declares each action's permissions. Resources are scoped; no
// statement has a wildcard action (test/deploy/template.test.ts checks each role's exact actions).
const sub = (text) => ({ 'Fn::Sub': text });
const FIREHOSE_STREAMS = sub('arn:${AWS::Partition}:firehose:*:${AWS::AccountId}:deliverystream/*');
const TABLE = { 'Fn::GetAtt': ['StateTable', 'Arn'] };
const BUS = { 'Fn::GetAtt': ['ComplianceBus', 'Arn'] };
const STATE_MACHINE = { Ref: 'RemediateStateMachine' };
const STATE_MACHINE_EXECUTIONS = sub(
  'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${RemediateStateMachine.Name}:*',
);
const RETRY_SCHEDULES = sub('arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${RetryScheduleGroup}/*');
const RETRY_SCHEDULER_ROLE = { 'Fn::GetAtt': ['RetrySchedulerRole', 'Arn'] };
const isTrue = (value) =>
  String(value ?? '')
    .trim()
    .toLowerCase() === 'true';

/** What each function may do. Resources are scoped; no statement has a wildcard action. */
function permissions(guard, names) {
  const keys = guard.approvedKeyArns
    ? guard.approvedKeyArns
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  const withKeys = guard.keyType === 'CUSTOMER_MANAGED_CMK' && keys.length > 0;
  // The pre-flight check (enable), and the re-check of a remembered key failure (inspect: a failed key
  // is tried again only once DescribeKey shows that its state changed).
  const preflight = withKeys
    ? [{ Sid: 'PreflightApprovedKeys', Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:GetKeyPolicy'], Resource: keys }]
    : [];
  const keyStatements = withKeys
    ? [
        ...preflight,
        {
          // Firehose creates its grant on the key with the caller's credentials.
          Sid: 'GrantFirehoseOnApprovedKeys',
          Effect: 'Allow',
          Action: ['kms:CreateGrant'],
          Resource: keys,
          Condition: { StringLike: { 'kms:ViaService': 'firehose.*.amazonaws.com' }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
      ]
    : [];
  // Member roles of this organization only (aws:ResourceOrgID: the role's account is in it).
  const member = guard.organizationId
    ? [
        {
          Sid: 'ActInMemberAccounts',
          Effect: 'Allow',
          Action: ['sts:AssumeRole'],
          Resource: sub(`arn:\${AWS::Partition}:iam::*:role/${guard.memberRoleName}`),
          Condition: { StringEquals: { 'aws:ResourceOrgID': guard.organizationId } },
        },
      ]
    : [];
  const describe = {
    Sid: 'DescribeStreams',
    Effect: 'Allow',
    Action: ['firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream'],
    Resource: FIREHOSE_STREAMS,
  };
  const table = (actions) => ({ Sid: 'StateTable', Effect: 'Allow', Action: actions.map((a) => `dynamodb:${a}`), Resource: TABLE });
  // The shared pacing of Firehose calls (functions/adapters/dynamo/pacer.ts): its PACE# items only.
  const pacing = {
    Sid: 'SharedPacing',
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    Resource: TABLE,
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PACE#*'] } },
  };
  const publish = { Sid: 'PublishComplianceEvents', Effect: 'Allow', Action: ['events:PutEvents'], Resource: BUS };
  const start = { Sid: 'StartRemediation', Effect: 'Allow', Action: ['states:StartExecution'], Resource: STATE_MACHINE };
  const readExecutions = {
    Sid: 'ReadExecutions',
    Effect: 'Allow',
    Action: ['states:DescribeExecution'],
    Resource: STATE_MACHINE_EXECUTIONS,
  };
  // Table actions follow the stores' calls (functions/adapters/dynamo/): every store reads with GetItem;
  // the ledger, the stream state and the key failures write whole items (PutItem); the lease is taken
  // with PutItem, renewed and given a trigger with UpdateItem, released with DeleteItem (then read
  // with GetItem when the condition fails, to say why).
  // Conclude and the cleanup: read the lease and the stream state, write the state, release the lease.
  const concludeTable = table(['GetItem', 'PutItem', 'DeleteItem']);
  // Starting a workflow (intake, sweep): the ledger, the lease (take, take over, note a trigger, release), the state.
  const starterTable = table(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
  const scheduleRetries = [
    // One-time schedules delete themselves after they run (ActionAfterCompletion DELETE): create only.
    { Sid: 'ScheduleRetries', Effect: 'Allow', Action: ['scheduler:CreateSchedule'], Resource: RETRY_SCHEDULES },
    {
      Sid: 'PassRetrySchedulerRole',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: RETRY_SCHEDULER_ROLE,
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ];
  return {
    // Inspect renews the lease, reads the ledger and the state, remembers and forgets key failures.
    // Inspect and the sweep also take slots of the shared pacing: their table statements cover it.
    // Inspect reads the enforcement claim of the stream's account and region (one enforcing stage per place).
    inspect: [
      describe,
      table(['GetItem', 'PutItem', 'UpdateItem']),
      ...preflight,
      ...(guard.mode === 'audit'
        ? []
        : [
            {
              Sid: 'ReadEnforcementClaim',
              Effect: 'Allow',
              Action: ['ssm:GetParameter'],
              Resource: sub('arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/firehose-sse-guard/enforcing-stage'),
            },
          ]),
      ...member,
    ],
    enable: [
      // An audit stage never starts encryption: its Enable role cannot (the stage-isolation guarantee).
      ...(guard.mode === 'audit'
        ? []
        : [{ Sid: 'StartEncryption', Effect: 'Allow', Action: ['firehose:StartDeliveryStreamEncryption'], Resource: FIREHOSE_STREAMS }]),
      table(['GetItem', 'PutItem']),
      pacing,
      publish,
      ...keyStatements,
      ...member,
    ],
    // Check remembers a key that failed (key failures item) with the key's state (the KMS pre-flight).
    check: [
      { Sid: 'DescribeStreams', Effect: 'Allow', Action: ['firehose:DescribeDeliveryStream'], Resource: FIREHOSE_STREAMS },
      table(['GetItem', 'PutItem']),
      pacing,
      ...preflight,
      ...member,
    ],
    conclude: [concludeTable, publish, ...scheduleRetries],
    // The cleanup starts nothing itself: a follow-up goes through the scheduler to the intake.
    cleanup: [concludeTable, publish, ...scheduleRetries],
    // A lease whose execution no longer runs is taken over: DescribeExecution tells (intake and sweep).
    intake: [
      starterTable,
      start,
      readExecutions,
      publish,
      { Sid: 'DeadLetters', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['IntakeDeadLetterQueue', 'Arn'] } },
    ],
    // The sweep covers the organization (member roles, ListAccounts) only when organizationId is set;
    // else the home account alone, with no sts:AssumeRole. Enabled regions come from Account Management.
    sweep: [
      ...(guard.organizationId
        ? [...member, { Sid: 'ListOrganizationAccounts', Effect: 'Allow', Action: ['organizations:ListAccounts'], Resource: '*' }]
        : []),
      ...(guard.organizationId || guard.regions === 'enabled'
        ? [
            {
              Sid: 'ListEnabledRegions',
              Effect: 'Allow',
              Action: ['account:ListRegions'],
              Resource: sub('arn:${AWS::Partition}:account::${AWS::AccountId}:account'),
            },
          ]
        : []),
      // ListDeliveryStreams has no resource-level permission: IAM only accepts "*" for it.
      { Sid: 'ListStreams', Effect: 'Allow', Action: ['firehose:ListDeliveryStreams'], Resource: '*' },
      describe,
      starterTable,
      // One sweep at a time: Plan asks whether another execution of the sweep state machine runs.
      {
        Sid: 'OneSweepAtATime',
        Effect: 'Allow',
        Action: ['states:ListExecutions'],
        Resource: sub(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${names.sweepMachine}`),
      },
      // The roll-up reads a sweep's results back (functions/adapters/dynamo/sweep-results.ts): SWEEP# items only.
      {
        Sid: 'SweepResults',
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: TABLE,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SWEEP#*'] } },
      },
      start,
      readExecutions,
      publish,
      { Sid: 'DeadLetters', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['IntakeDeadLetterQueue', 'Arn'] } },
    ],
    // Findings go to the stream's region, under that region's default product of this account (the only
    // account BatchImportFindings accepts findings of): any region, this account's product only.
    ...(isTrue(guard.securityHub)
      ? {
          findings: [
            {
              Sid: 'ImportFindings',
              Effect: 'Allow',
              Action: ['securityhub:BatchImportFindings'],
              Resource: sub('arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default'),
            },
          ],
        }
      : {}),
  };
}

/** A role that only `principal` may assume (under `trustCondition`), with one inline policy. */
function serviceRole(description, principal, policyName, statements, trustCondition) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: description,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(trustCondition ? { Condition: trustCondition } : {}) },
        ],
      },
      Policies: [{ PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

module.exports = {
  permissions,
  serviceRole,
  sub,
  isTrue,
  FIREHOSE_STREAMS,
  TABLE,
  BUS,
  STATE_MACHINE,
  STATE_MACHINE_EXECUTIONS,
  RETRY_SCHEDULES,
  RETRY_SCHEDULER_ROLE,
};
