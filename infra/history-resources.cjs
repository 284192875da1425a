// Compliance history (issue 15): an EventBridge archive can only be replayed to a bus, so the compliance
// bus also feeds an encrypted Firehose delivery stream that writes every event, envelope included, as
// newline-delimited gzipped JSON to S3 under events/dt=yyyy-MM-dd/; a Glue table with partition
// projection (no crawler) lets Athena query it. serverless-resources.cjs merges these resources when
// the `history` parameter is 'true'. They reference two of its resources: ComplianceBus and
// RuleDeadLetterQueue (HISTORY_DEPENDENCIES).

const { serviceRole, sub } = require('./permissions.cjs');
const BUCKET_ARN = { 'Fn::GetAtt': ['HistoryBucket', 'Arn'] };
const BUCKET_OBJECTS = sub('${HistoryBucket.Arn}/*');
const STREAM_ARN = { 'Fn::GetAtt': ['HistoryDeliveryStream', 'Arn'] };

/** Resources of serverless-resources.cjs that these resources reference. */
const HISTORY_DEPENDENCIES = ['ComplianceBus', 'RuleDeadLetterQueue'];
/** Days an event is kept: as long as the bus archive keeps it for replays. */
const HISTORY_RETENTION_DAYS = 400;
const HISTORY_TABLE = 'compliance_events';
const EVENTS_PREFIX = 'events/';
const RESULTS_PREFIX = 'athena-results/';

/** Names per stage. Glue and Athena want lowercase letters, digits and underscores in a database name. */
function historyNames(service, stage) {
  return {
    deliveryStream: `${service}-${stage}-history`,
    rule: `${service}-${stage}-history`,
    workGroup: `${service}-${stage}-history`,
    database: `${service}_${stage}_history`.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
    table: HISTORY_TABLE,
    logGroup: `/aws/kinesisfirehose/${service}-${stage}-history`,
    complianceBus: `${service}-${stage}-compliance`,
  };
}

/** The shared role builder, in this file's argument order: the service principal, then its trust condition. */
const serviceRoleFor = (description, service, trustCondition, policyName, statements) =>
  serviceRole(description, { Service: service }, policyName, statements, trustCondition);

/** The envelope of an EventBridge event; `detail` stays JSON text, read with json_extract_scalar (robust to new detail fields). */
const COLUMNS = [
  { Name: 'version', Type: 'string', Comment: 'EventBridge envelope version' },
  { Name: 'id', Type: 'string', Comment: 'event id: at-least-once delivery may repeat it' },
  { Name: 'detail_type', Type: 'string', Comment: 'the detail-type (README Events)' },
  { Name: 'source', Type: 'string', Comment: 'firehose-sse-guard' },
  { Name: 'account', Type: 'string', Comment: 'the account that published the event' },
  { Name: 'time', Type: 'string', Comment: 'ISO 8601 UTC: from_iso8601_timestamp("time")' },
  { Name: 'region', Type: 'string', Comment: 'the region that published the event' },
  { Name: 'resources', Type: 'array<string>', Comment: "the stream's ARN" },
  {
    Name: 'detail',
    Type: 'string',
    Comment: 'the detail as JSON text: version, kind, occurredAt, correlationId, stream {account, region, name, arn}, ...',
  },
];

/**
 * The history stream's own encryption, which the stage's policy must accept (our stream passes our rule):
 * the AWS owned key, or with keyType CUSTOMER_MANAGED_CMK the first approved key of the deployment's
 * region (approved keys count only in their own region), or the AWS owned key where the policy falls back to it.
 */
function streamKey(guard, region) {
  if (guard.keyType !== 'CUSTOMER_MANAGED_CMK') return { KeyType: 'AWS_OWNED_CMK' };
  const keys = (guard.approvedKeyArns || '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const own = keys.find((arn) => arn.split(':')[3] === region);
  if (own) return { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: own };
  if (guard.fallbackToAwsOwned === 'true') return { KeyType: 'AWS_OWNED_CMK' };
  throw new Error(
    `history: keyType CUSTOMER_MANAGED_CMK needs an approved key in ${region} (approvedKeyArns) for the history stream, or fallbackToAwsOwned=true`,
  );
}

function historyResources({ service, stage, guard = {}, region }) {
  const names = historyNames(service, stage);
  const retention = HISTORY_RETENTION_DAYS;
  const Resources = {
    HistoryBucket: {
      Type: 'AWS::S3::Bucket',
      // Compliance history outlives the stack; CloudFormation could not delete a non-empty bucket anyway.
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'expire-history',
              Status: 'Enabled',
              ExpirationInDays: retention,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
            { Id: 'expire-query-results', Status: 'Enabled', Prefix: RESULTS_PREFIX, ExpirationInDays: 30 },
          ],
        },
        Tags: [{ Key: 'firehose-sse-guard:stage', Value: stage }],
      },
    },
    HistoryBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'HistoryBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [BUCKET_ARN, BUCKET_OBJECTS],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    HistoryLogGroup: {
      Type: 'AWS::Logs::LogGroup',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: { LogGroupName: names.logGroup, RetentionInDays: 30 },
    },
    HistoryLogStream: {
      Type: 'AWS::Logs::LogStream',
      Properties: { LogGroupName: { Ref: 'HistoryLogGroup' }, LogStreamName: 'DestinationDelivery' },
    },
    // The documented minimum of a Firehose delivery role for an S3 destination, on this bucket only, and its error log.
    HistoryDeliveryRole: serviceRoleFor(
      'firehose-sse-guard history: Firehose writes compliance events to the history bucket, nothing else',
      'firehose.amazonaws.com',
      { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
      'deliver-to-history-bucket',
      [
        {
          Sid: 'HistoryBucket',
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          Resource: BUCKET_ARN,
        },
        {
          Sid: 'HistoryObjects',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
          Resource: BUCKET_OBJECTS,
        },
        {
          Sid: 'DeliveryErrors',
          Effect: 'Allow',
          Action: ['logs:PutLogEvents'],
          Resource: sub(
            `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${names.logGroup}:log-stream:DestinationDelivery`,
          ),
        },
      ],
    ),
    HistoryDeliveryStream: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        DeliveryStreamName: names.deliveryStream,
        DeliveryStreamType: 'DirectPut',
        // Our own stream passes our own rule: encrypted at rest from its creation, with a key the policy accepts.
        DeliveryStreamEncryptionConfigurationInput: streamKey(guard, region),
        ExtendedS3DestinationConfiguration: {
          BucketARN: BUCKET_ARN,
          RoleARN: { 'Fn::GetAtt': ['HistoryDeliveryRole', 'Arn'] },
          Prefix: `${EVENTS_PREFIX}dt=!{timestamp:yyyy-MM-dd}/`,
          ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
          CompressionFormat: 'GZIP',
          // No EncryptionConfiguration: the bucket's default encryption (SSE-S3) encrypts every object.
          // One event per line: what the JSON SerDe reads.
          ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
          CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: 'HistoryLogGroup' }, LogStreamName: { Ref: 'HistoryLogStream' } },
        },
        Tags: [{ Key: 'firehose-sse-guard:stage', Value: stage }],
      },
    },
    // Only this stage's rule may use the role (confused deputy): its ARN is known from its name.
    HistoryRuleRole: serviceRoleFor(
      'firehose-sse-guard history: the compliance bus rule puts records into the history stream, nothing else',
      'events.amazonaws.com',
      {
        StringEquals: {
          'aws:SourceAccount': { Ref: 'AWS::AccountId' },
          'aws:SourceArn': sub(
            `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.complianceBus}/${names.rule}`,
          ),
        },
      },
      'put-to-history-stream',
      [{ Sid: 'PutHistoryRecords', Effect: 'Allow', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: STREAM_ARN }],
    ),
    HistoryRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: names.rule,
        Description: 'Every compliance event, with its envelope, to the history delivery stream (S3, Athena)',
        EventBusName: { Ref: 'ComplianceBus' },
        EventPattern: { source: ['firehose-sse-guard'] },
        State: 'ENABLED',
        // No InputPath nor InputTransformer: the whole event (id, time, account, region, detail-type, detail).
        Targets: [
          {
            Id: 'history-stream',
            Arn: STREAM_ARN,
            RoleArn: { 'Fn::GetAtt': ['HistoryRuleRole', 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } },
          },
        ],
      },
    },
    HistoryDatabase: {
      Type: 'AWS::Glue::Database',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseInput: { Name: names.database, Description: `firehose-sse-guard ${stage}: compliance history` },
      },
    },
    HistoryTable: {
      Type: 'AWS::Glue::Table',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseName: { Ref: 'HistoryDatabase' },
        TableInput: {
          Name: HISTORY_TABLE,
          Description: 'Compliance events (EventBridge envelope), one per line, partitioned by delivery day (UTC)',
          TableType: 'EXTERNAL_TABLE',
          Parameters: {
            classification: 'json',
            compressionType: 'gzip',
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': 'NOW-2YEARS,NOW',
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'storage.location.template': sub(`s3://\${HistoryBucket}/${EVENTS_PREFIX}dt=\${!dt}/`),
          },
          PartitionKeys: [{ Name: 'dt', Type: 'string', Comment: 'delivery day, yyyy-MM-dd (UTC)' }],
          StorageDescriptor: {
            Columns: COLUMNS,
            Location: sub(`s3://\${HistoryBucket}/${EVENTS_PREFIX}`),
            InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            Compressed: true,
            SerdeInfo: {
              SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
              Parameters: { 'mapping.detail_type': 'detail-type', 'ignore.malformed.json': 'true' },
            },
          },
        },
      },
    },
    // Where the README's queries run: results encrypted, in the history bucket, kept 30 days.
    HistoryWorkGroup: {
      Type: 'AWS::Athena::WorkGroup',
      Properties: {
        Name: names.workGroup,
        Description: `firehose-sse-guard ${stage}: queries of the compliance history`,
        RecursiveDeleteOption: true,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          ResultConfiguration: {
            OutputLocation: sub(`s3://\${HistoryBucket}/${RESULTS_PREFIX}`),
            EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          },
        },
      },
    },
  };
  const Outputs = {
    HistoryBucketName: {
      Value: { Ref: 'HistoryBucket' },
      Description: `Compliance events as gzipped JSON lines under ${EVENTS_PREFIX}dt=yyyy-MM-dd/, kept ${retention} days`,
    },
    HistoryDeliveryStreamName: { Value: { Ref: 'HistoryDeliveryStream' }, Description: 'The Firehose stream the compliance bus feeds' },
    HistoryDatabaseName: { Value: { Ref: 'HistoryDatabase' }, Description: 'The Glue database of the history table (Athena)' },
    HistoryTableName: { Value: { Ref: 'HistoryTable' }, Description: 'The Glue table of compliance events (partition projection on dt)' },
    HistoryWorkGroupName: { Value: { Ref: 'HistoryWorkGroup' }, Description: 'The Athena workgroup for the README queries' },
  };
  return { Resources, Outputs };
}

const since = `dt >= CAST(current_date - INTERVAL '30' DAY AS varchar)`;
/** The README's Athena queries (Trino SQL), on the last 30 days; run them in the workgroup, with the stage's database. */
const ATHENA_QUERIES = {
  latestVerdictPerStream: `WITH evaluations AS (
  SELECT json_extract_scalar(detail, '$.stream.arn') AS stream_arn,
         json_extract_scalar(detail, '$.verdict') AS verdict,
         from_iso8601_timestamp("time") AS evaluated_at
  FROM ${HISTORY_TABLE}
  WHERE detail_type = 'Stream Evaluated' AND ${since}
)
SELECT stream_arn,
       max_by(verdict, evaluated_at) AS latest_verdict,
       max(evaluated_at) AS last_evaluated_at
FROM evaluations
GROUP BY stream_arn
ORDER BY latest_verdict, stream_arn`,
  remediationsPerDay: `SELECT dt AS day,
       count(DISTINCT id) FILTER (WHERE detail_type = 'Remediation Started') AS started,
       count(DISTINCT id) FILTER (WHERE detail_type = 'Remediation Succeeded') AS succeeded,
       count(DISTINCT id) FILTER (WHERE detail_type = 'Remediation Deferred') AS deferred,
       count(DISTINCT id) FILTER (WHERE detail_type = 'Remediation Failed') AS failed
FROM ${HISTORY_TABLE}
WHERE detail_type LIKE 'Remediation %' AND ${since}
GROUP BY dt
ORDER BY dt`,
  timeToCompliant: `WITH succeeded AS (
  SELECT DISTINCT id,
         json_extract_scalar(detail, '$.stream.region') AS region,
         CAST(json_extract_scalar(detail, '$.timeToCompliantSeconds') AS double) AS seconds
  FROM ${HISTORY_TABLE}
  WHERE detail_type = 'Remediation Succeeded' AND ${since}
)
SELECT region,
       count(*) AS remediations,
       approx_percentile(seconds, 0.5) AS p50_seconds,
       approx_percentile(seconds, 0.95) AS p95_seconds
FROM succeeded
GROUP BY region
ORDER BY region`,
  deferralsByReason: `SELECT json_extract_scalar(detail, '$.reason') AS reason,
       count(DISTINCT id) AS deferrals,
       count(DISTINCT json_extract_scalar(detail, '$.stream.arn')) AS streams,
       max(from_iso8601_timestamp("time")) AS last_seen
FROM ${HISTORY_TABLE}
WHERE detail_type = 'Remediation Deferred' AND ${since}
GROUP BY 1
ORDER BY deferrals DESC`,
};

module.exports = { historyResources, historyNames, ATHENA_QUERIES, HISTORY_TABLE, HISTORY_DEPENDENCIES, HISTORY_RETENTION_DAYS };
