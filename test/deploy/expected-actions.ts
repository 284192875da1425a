/**
 * The exact actions of each function's role in a deployment with organizationId, customer managed
 * keys and Security Hub (test/deploy/template.test.ts), besides its own logs.
 */
// Read off functions/adapters: the lease store takes (PutItem), renews and notes triggers (UpdateItem),
// releases (DeleteItem) and reads (GetItem); the ledger, key failures and stream state get and put whole
// items; StepFunctionsStarter.isRunning is DescribeExecution; the KMS pre-flight is DescribeKey + GetKeyPolicy;
// the shared pacing reads and moves PACE# items (GetItem, UpdateItem; adapters/dynamo/pacer.ts).
export const EXPECTED_ACTIONS: Record<string, string[]> = {
  InspectRole: [
    'firehose:DescribeDeliveryStream',
    'firehose:ListTagsForDeliveryStream',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    // The enforcement claim of the stream's account and region (one enforcing stage per place).
    'ssm:GetParameter',
    'sts:AssumeRole',
  ],
  EnableRole: [
    'firehose:StartDeliveryStreamEncryption',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    // The shared pacing (PACE# items only).
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:CreateGrant',
    'sts:AssumeRole',
  ],
  CheckRole: [
    'firehose:DescribeDeliveryStream',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'sts:AssumeRole',
  ],
  ConcludeRole: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'events:PutEvents',
    'scheduler:CreateSchedule',
    'iam:PassRole',
  ],
  CleanupRole: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'events:PutEvents',
    'scheduler:CreateSchedule',
    'iam:PassRole',
  ],
  IntakeRole: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'states:StartExecution',
    'states:DescribeExecution',
    'events:PutEvents',
    'sqs:SendMessage',
  ],
  // With organizationId: the member roles, the organization's accounts, the enabled regions (issue 14).
  SweepRole: [
    'sts:AssumeRole',
    'organizations:ListAccounts',
    'account:ListRegions',
    'firehose:ListDeliveryStreams',
    'firehose:DescribeDeliveryStream',
    'firehose:ListTagsForDeliveryStream',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    // One sweep at a time (ListExecutions on the sweep state machine), and its results (SWEEP# items only), for the roll-up.
    'states:ListExecutions',
    'dynamodb:Query',
    'states:StartExecution',
    'states:DescribeExecution',
    'events:PutEvents',
    'sqs:SendMessage',
  ],
};
