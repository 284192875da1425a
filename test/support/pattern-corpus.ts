import type { EventPattern } from '../../local/event-pattern.ts';

/**
 * Patterns and events to route, with the rules each one exercises (EventBridge user guide, "Content
 * filtering in event patterns"). Events are complete EventBridge envelopes so that they can also be
 * sent through PutEvents to moto_server, which must route them the same way.
 */
export interface CorpusEvent {
  id: string;
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
}

const trail = (id: string, detail: Record<string, unknown>): CorpusEvent => ({
  id,
  source: 'aws.firehose',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: { eventSource: 'firehose.amazonaws.com', awsRegion: 'us-east-1', ...detail },
});

export const CORPUS_EVENTS: CorpusEvent[] = [
  trail('create-ok', {
    eventName: 'CreateDeliveryStream',
    requestParameters: { deliveryStreamName: 'orders', deliveryStreamType: 'DirectPut' },
    sourceIPAddress: '10.1.2.3',
  }),
  trail('create-failed', {
    eventName: 'CreateDeliveryStream',
    errorCode: 'InvalidArgumentException',
    requestParameters: { deliveryStreamName: 'orders' },
  }),
  trail('stop-by-alice', {
    eventName: 'StopDeliveryStreamEncryption',
    requestParameters: { deliveryStreamName: 'Payments-Ledger' },
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice' },
    sourceIPAddress: '192.168.7.9',
  }),
  trail('start-by-remediator', {
    eventName: 'StartDeliveryStreamEncryption',
    requestParameters: { deliveryStreamName: 'orders', deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' } },
    userIdentity: {
      type: 'AssumedRole',
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/firehose-sse-guard-remediator' } },
    },
  }),
  trail('delete-ok', {
    eventName: 'DeleteDeliveryStream',
    requestParameters: { deliveryStreamName: 'tmp-1' },
    sourceIPAddress: '2001:db8::17',
  }),
  trail('describe', { eventName: 'DescribeDeliveryStream', readOnly: true }),
  {
    id: 'config-noncompliant',
    source: 'aws.config',
    'detail-type': 'Config Rules Compliance Change',
    detail: {
      messageType: 'ComplianceChangeNotification',
      resourceType: 'AWS::KinesisFirehose::DeliveryStream',
      resourceId: 'orders',
      awsAccountId: '123456789012',
      awsRegion: 'us-east-1',
      configRuleName: 'firehose-encrypted',
      newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
      oldEvaluationResult: { complianceType: 'COMPLIANT' },
    },
  },
  {
    id: 'config-compliant-other-type',
    source: 'aws.config',
    'detail-type': 'Config Rules Compliance Change',
    detail: {
      messageType: 'ComplianceChangeNotification',
      resourceType: 'AWS::S3::Bucket',
      newEvaluationResult: { complianceType: 'COMPLIANT' },
    },
  },
  {
    id: 'config-item',
    source: 'aws.config',
    'detail-type': 'Config Configuration Item Change',
    detail: {
      messageType: 'ConfigurationItemChangeNotification',
      configurationItem: { resourceType: 'AWS::KinesisFirehose::DeliveryStream', resourceName: 'orders' },
    },
  },
  { id: 'metrics-high', source: 'acme.metrics', 'detail-type': 'Reading', detail: { value: 250, unit: 'ms', tags: ['prod', 'eu'] } },
  { id: 'metrics-low', source: 'acme.metrics', 'detail-type': 'Reading', detail: { value: 3, unit: 'MS', tags: ['dev'] } },
  { id: 'metrics-none', source: 'acme.metrics', 'detail-type': 'Reading', detail: { unit: 'ms', tags: [] } },
];

export interface CorpusPattern {
  name: string;
  rule: string;
  pattern: EventPattern;
  /** The ids of the events it matches, per the EventBridge documentation. */
  matches: string[];
}

export const CORPUS_PATTERNS: CorpusPattern[] = [
  {
    name: 'exact',
    rule: 'exact match on a nested field',
    pattern: { source: ['aws.firehose'], detail: { eventName: ['CreateDeliveryStream'] } },
    matches: ['create-ok', 'create-failed'],
  },
  {
    name: 'no-error',
    rule: 'exists: false (a successful call has no errorCode)',
    pattern: { source: ['aws.firehose'], detail: { eventName: ['CreateDeliveryStream'], errorCode: [{ exists: false }] } },
    matches: ['create-ok'],
  },
  { name: 'has-error', rule: 'exists: true', pattern: { detail: { errorCode: [{ exists: true }] } }, matches: ['create-failed'] },
  {
    name: 'prefix',
    rule: 'prefix',
    pattern: { detail: { eventName: [{ prefix: 'Stop' }, { prefix: 'Start' }] } },
    matches: ['stop-by-alice', 'start-by-remediator'],
  },
  {
    name: 'suffix',
    rule: 'suffix',
    pattern: { detail: { eventName: [{ suffix: 'Encryption' }] } },
    matches: ['stop-by-alice', 'start-by-remediator'],
  },
  {
    name: 'prefix-ignore-case',
    rule: 'prefix with equals-ignore-case',
    pattern: { detail: { requestParameters: { deliveryStreamName: [{ prefix: { 'equals-ignore-case': 'payments' } }] } } },
    matches: ['stop-by-alice'],
  },
  {
    name: 'anything-but-list',
    rule: 'anything-but a list of values (the field must exist)',
    pattern: { source: ['aws.firehose'], detail: { eventName: [{ 'anything-but': ['DescribeDeliveryStream', 'CreateDeliveryStream'] }] } },
    matches: ['stop-by-alice', 'start-by-remediator', 'delete-ok'],
  },
  {
    name: 'anything-but-prefix',
    rule: 'anything-but with a prefix (the loop guard: not our role)',
    pattern: {
      detail: {
        eventName: ['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption'],
        userIdentity: {
          sessionContext: { sessionIssuer: { arn: [{ 'anything-but': { prefix: 'arn:aws:iam::123456789012:role/firehose-sse-guard' } }] } },
        },
      },
    },
    matches: [],
  },
  {
    name: 'numeric-range',
    rule: 'numeric with two bounds',
    pattern: { detail: { value: [{ numeric: ['>', 0, '<=', 100] }] } },
    matches: ['metrics-low'],
  },
  { name: 'numeric-eq', rule: 'numeric equality', pattern: { detail: { value: [{ numeric: ['=', 250] }] } }, matches: ['metrics-high'] },
  {
    name: 'ignore-case',
    rule: 'equals-ignore-case',
    pattern: { detail: { unit: [{ 'equals-ignore-case': 'ms' }] } },
    matches: ['metrics-high', 'metrics-low', 'metrics-none'],
  },
  {
    name: 'wildcard',
    rule: 'wildcard',
    pattern: { detail: { requestParameters: { deliveryStreamName: [{ wildcard: 'tmp-*' }] } } },
    matches: ['delete-ok'],
  },
  {
    name: 'array-value',
    rule: 'an array field matches when any element does',
    pattern: { detail: { tags: ['eu'] } },
    matches: ['metrics-high'],
  },
  { name: 'cidr-v4', rule: 'cidr (IPv4)', pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } }, matches: ['create-ok'] },
  { name: 'cidr-v6', rule: 'cidr (IPv6)', pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } }, matches: ['delete-ok'] },
  {
    name: 'or',
    rule: '$or of two sub-patterns',
    pattern: {
      $or: [
        { source: ['aws.config'], detail: { resourceType: ['AWS::KinesisFirehose::DeliveryStream'] } },
        { detail: { value: [{ numeric: ['>=', 200] }] } },
      ],
    },
    matches: ['config-noncompliant', 'metrics-high'],
  },
  {
    name: 'nested-config',
    rule: 'exact match two levels down',
    pattern: { source: ['aws.config'], detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } } },
    matches: ['config-noncompliant'],
  },
];
