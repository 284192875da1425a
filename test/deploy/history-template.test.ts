import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 15, "Query history": compliance bus → encrypted Firehose stream → S3 → Glue table → Athena.
// infra/history-resources.cjs builds the resources; serverless-resources.cjs merges them with `history: 'true'`.
type Resource = { Type: string; DeletionPolicy?: string; Properties: Record<string, unknown> };
interface Built {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
}
interface HistoryModule {
  historyResources(options: { service: string; stage: string; guard: Record<string, string>; region?: string }): Built;
  historyNames(service: string, stage: string): Record<'deliveryStream' | 'rule' | 'workGroup' | 'database', string>;
  ATHENA_QUERIES: Record<string, string>;
  HISTORY_TABLE: string;
  HISTORY_DEPENDENCIES: string[];
  HISTORY_RETENTION_DAYS: number;
}
type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: unknown; Condition?: unknown };
interface RoleProperties {
  AssumeRolePolicyDocument: { Statement: Statement[] };
  Policies: { PolicyDocument: { Statement: Statement[] } }[];
}

const history = createRequire(import.meta.url)('../../infra/history-resources.cjs') as HistoryModule;
const SERVICE = 'firehose-sse-guard';
const build = (stage = 'test') => history.historyResources({ service: SERVICE, stage, guard: { history: 'true', mode: 'enforce' } });
const built = build();
const resource = (id: string): Resource => {
  expect(built.Resources, id).toHaveProperty([id]);
  return built.Resources[id]!;
};
const props = <T>(id: string): T => resource(id).Properties as T;
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const statementsOf = (roleId: string) => props<RoleProperties>(roleId).Policies.flatMap((p) => p.PolicyDocument.Statement);
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

type Ref = unknown;
interface DeliveryStream {
  DeliveryStreamType: string;
  DeliveryStreamEncryptionConfigurationInput: { KeyType: string };
  ExtendedS3DestinationConfiguration: { BucketARN: Ref; RoleARN: Ref; Prefix: string; ErrorOutputPrefix: string } & Record<string, unknown>;
}
interface GlueTable {
  DatabaseName: Ref;
  TableInput: { Name: string; TableType: string; Parameters: Record<string, unknown>; PartitionKeys: unknown[] } & {
    StorageDescriptor: { Columns: { Name: string; Type: string }[]; Location: { 'Fn::Sub': string } } & {
      SerdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
    };
  };
}

describe('infra/history-resources.cjs: the resources', () => {
  it('deploys exactly the history path, nothing else', () => {
    const types = Object.fromEntries(Object.entries(built.Resources).map(([id, r]) => [id, r.Type]));
    expect(types).toEqual({
      HistoryBucket: 'AWS::S3::Bucket',
      HistoryBucketPolicy: 'AWS::S3::BucketPolicy',
      HistoryLogGroup: 'AWS::Logs::LogGroup',
      HistoryLogStream: 'AWS::Logs::LogStream',
      HistoryDeliveryRole: 'AWS::IAM::Role',
      HistoryDeliveryStream: 'AWS::KinesisFirehose::DeliveryStream',
      HistoryRuleRole: 'AWS::IAM::Role',
      HistoryRule: 'AWS::Events::Rule',
      HistoryDatabase: 'AWS::Glue::Database',
      HistoryTable: 'AWS::Glue::Table',
      HistoryWorkGroup: 'AWS::Athena::WorkGroup',
    });
  });

  it('encrypts at rest everywhere: the bucket, the delivery stream (our own rule) and the query results', () => {
    const bucket = props<{
      BucketEncryption: { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[] };
    }>('HistoryBucket');
    const rules = bucket.BucketEncryption.ServerSideEncryptionConfiguration;
    expect(rules.map((r) => r.ServerSideEncryptionByDefault.SSEAlgorithm)).toEqual(['AES256']);
    expect(props<DeliveryStream>('HistoryDeliveryStream').DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    expect(props<DeliveryStream>('HistoryDeliveryStream').DeliveryStreamType).toBe('DirectPut');
    const workGroup = props<{
      WorkGroupConfiguration: { EnforceWorkGroupConfiguration: boolean; ResultConfiguration: { EncryptionConfiguration: unknown } };
    }>('HistoryWorkGroup');
    expect(workGroup.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(workGroup.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
  });

  it("encrypts the history stream with a key the stage's policy accepts: an approved key of its region, else the fallback, else no deployment", () => {
    const key = (region: string) => `arn:aws:kms:${region}:123456789012:key/11111111-1111-1111-1111-111111111111`;
    const approvedKeyArns = `${key('us-east-1')}, ${key('eu-west-1')}`;
    const streamKey = (guard: Record<string, string>, region = 'eu-west-1') =>
      history.historyResources({ service: SERVICE, stage: 'test', guard, region }).Resources.HistoryDeliveryStream!.Properties
        .DeliveryStreamEncryptionConfigurationInput;
    expect(streamKey({ keyType: 'CUSTOMER_MANAGED_CMK', approvedKeyArns })).toEqual({
      KeyType: 'CUSTOMER_MANAGED_CMK',
      KeyARN: key('eu-west-1'),
    });
    const elsewhere = { keyType: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: key('us-east-1') };
    expect(streamKey({ ...elsewhere, fallbackToAwsOwned: 'true' })).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    expect(() => streamKey(elsewhere)).toThrow(/needs an approved key in eu-west-1.*or fallbackToAwsOwned=true/);
  });

  it('blocks public access, enforces bucket ownership, denies every request without TLS, and expires events after the archive retention', () => {
    const bucket = props<{
      PublicAccessBlockConfiguration: Record<string, boolean>;
      OwnershipControls: unknown;
      LifecycleConfiguration: { Rules: { Id: string; Status: string; ExpirationInDays: number; Prefix?: string }[] };
    }>('HistoryBucket');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const expiry = bucket.LifecycleConfiguration.Rules.find((r) => r.Prefix === undefined);
    expect(expiry).toMatchObject({ Status: 'Enabled', ExpirationInDays: history.HISTORY_RETENTION_DAYS });
    expect(history.HISTORY_RETENTION_DAYS).toBe(400);
    expect(resource('HistoryBucket').DeletionPolicy).toBe('Retain');

    const policy = props<{ Bucket: unknown; PolicyDocument: { Statement: Statement[] } }>('HistoryBucketPolicy');
    expect(policy.Bucket).toEqual({ Ref: 'HistoryBucket' });
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [getAtt('HistoryBucket'), { 'Fn::Sub': '${HistoryBucket.Arn}/*' }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it('writes gzipped, newline-delimited events partitioned by day, errors apart, buffered a minute or 5 MB', () => {
    const s3 = props<DeliveryStream>('HistoryDeliveryStream').ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual(getAtt('HistoryBucket'));
    expect(s3.RoleARN).toEqual(getAtt('HistoryDeliveryRole'));
    expect(s3.Prefix).toBe('events/dt=!{timestamp:yyyy-MM-dd}/');
    // Firehose refuses an expression in Prefix without one in ErrorOutputPrefix; errors stay out of the table's location.
    expect(s3.ErrorOutputPrefix).toMatch(/^errors\/.*!\{firehose:error-output-type\}/);
    expect(s3.CompressionFormat).toBe('GZIP');
    expect(s3.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 5 });
    expect(s3.ProcessingConfiguration).toEqual({ Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] });
  });

  it('sends every event of this service on the compliance bus, whole (envelope and detail), with retries and dead letters', () => {
    const rule = props<{ EventBusName: unknown; EventPattern: unknown; State: string; Targets: Record<string, unknown>[] }>('HistoryRule');
    expect(rule.EventBusName).toEqual({ Ref: 'ComplianceBus' });
    expect(rule.EventPattern).toEqual({ source: ['firehose-sse-guard'] });
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0]!;
    expect(target.Arn).toEqual(getAtt('HistoryDeliveryStream'));
    expect(target.RoleArn).toEqual(getAtt('HistoryRuleRole'));
    expect(target.DeadLetterConfig).toEqual({ Arn: getAtt('RuleDeadLetterQueue') });
    for (const reshaping of ['Input', 'InputPath', 'InputTransformer']) expect(target).not.toHaveProperty(reshaping);
  });

  it("lets the rule's role only put records into the history stream, for this stage's rule only", () => {
    expect(statementsOf('HistoryRuleRole')).toEqual([
      {
        Sid: 'PutHistoryRecords',
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: getAtt('HistoryDeliveryStream'),
      },
    ]);
    const [trust] = props<RoleProperties>('HistoryRuleRole').AssumeRolePolicyDocument.Statement;
    expect(trust).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' });
    expect(trust!.Condition).toEqual({
      StringEquals: {
        'aws:SourceAccount': { Ref: 'AWS::AccountId' },
        'aws:SourceArn': {
          'Fn::Sub':
            'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/firehose-sse-guard-test-compliance/firehose-sse-guard-test-history',
        },
      },
    });
  });

  it("lets Firehose's delivery role do the documented S3 minimum on the history bucket only, and log its delivery errors", () => {
    expect(statementsOf('HistoryDeliveryRole')).toEqual([
      {
        Sid: 'HistoryBucket',
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: getAtt('HistoryBucket'),
      },
      {
        Sid: 'HistoryObjects',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: { 'Fn::Sub': '${HistoryBucket.Arn}/*' },
      },
      {
        Sid: 'DeliveryErrors',
        Effect: 'Allow',
        Action: ['logs:PutLogEvents'],
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/kinesisfirehose/firehose-sse-guard-test-history:log-stream:DestinationDelivery',
        },
      },
    ]);
    const [trust] = props<RoleProperties>('HistoryDeliveryRole').AssumeRolePolicyDocument.Statement;
    expect(trust).toMatchObject({
      Principal: { Service: 'firehose.amazonaws.com' },
      Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
    });
    for (const id of ['HistoryDeliveryRole', 'HistoryRuleRole'])
      for (const s of statementsOf(id)) for (const a of actions(s)) expect(a, `${id}: ${a}`).not.toMatch(/\*/);
  });

  it('reads the events with the OpenX JSON SerDe: envelope columns, detail-type as detail_type, detail as JSON text', () => {
    const table = props<GlueTable>('HistoryTable');
    expect(table.DatabaseName).toEqual({ Ref: 'HistoryDatabase' });
    expect(table.TableInput.Name).toBe(history.HISTORY_TABLE);
    expect(table.TableInput.TableType).toBe('EXTERNAL_TABLE');
    const storage = table.TableInput.StorageDescriptor;
    expect(storage.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(storage.SerdeInfo.Parameters['mapping.detail_type']).toBe('detail-type');
    const columns = Object.fromEntries(storage.Columns.map((c) => [c.Name, c.Type]));
    expect(columns).toMatchObject({
      id: 'string',
      time: 'string',
      account: 'string',
      region: 'string',
      detail_type: 'string',
      detail: 'string',
      source: 'string',
    });
    expect(columns.resources).toBe('array<string>');
    expect(table.TableInput.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string', Comment: expect.any(String) }]);
  });

  it('projects the dt partition (no crawler) onto exactly the prefix that Firehose writes', () => {
    const input = props<GlueTable>('HistoryTable').TableInput;
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': 'NOW-2YEARS,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    const template = (input.Parameters['storage.location.template'] as { 'Fn::Sub': string })['Fn::Sub'];
    // Fn::Sub turns ${!dt} into the literal ${dt} that Athena fills in.
    expect(template).toBe('s3://${HistoryBucket}/events/dt=${!dt}/');
    const prefix = props<DeliveryStream>('HistoryDeliveryStream').ExtendedS3DestinationConfiguration.Prefix;
    expect(template.replace('s3://${HistoryBucket}/', '').replace('${!dt}', '!{timestamp:yyyy-MM-dd}')).toBe(prefix);
    expect(input.StorageDescriptor.Location['Fn::Sub']).toBe('s3://${HistoryBucket}/events/');
  });

  it('outputs the bucket, the stream, the database, the table and the workgroup', () => {
    expect(built.Outputs).toMatchObject({
      HistoryBucketName: { Value: { Ref: 'HistoryBucket' } },
      HistoryDeliveryStreamName: { Value: { Ref: 'HistoryDeliveryStream' } },
      HistoryDatabaseName: { Value: { Ref: 'HistoryDatabase' } },
      HistoryTableName: { Value: { Ref: 'HistoryTable' } },
      HistoryWorkGroupName: { Value: { Ref: 'HistoryWorkGroup' } },
    });
  });
});

/** Every name a resource is given, by kind (the bucket's is generated by CloudFormation, per stack). */
function namesOf(b: Built): Record<string, string> {
  const p = (id: string) => b.Resources[id]!.Properties;
  return {
    deliveryStream: p('HistoryDeliveryStream').DeliveryStreamName as string,
    rule: p('HistoryRule').Name as string,
    workGroup: p('HistoryWorkGroup').Name as string,
    logGroup: p('HistoryLogGroup').LogGroupName as string,
    database: (p('HistoryDatabase').DatabaseInput as { Name: string }).Name,
  };
}

describe('infra/history-resources.cjs: stages', () => {
  it('gives each stage its own names, so two stages in one account and region do not collide', () => {
    const stages = ['test', 'dev', 'prod', 'prod2'];
    const byStage = stages.map((stage) => namesOf(build(stage)));
    for (const kind of Object.keys(byStage[0]!)) {
      const names = byStage.map((names) => names[kind]!);
      expect(new Set(names).size, kind).toBe(stages.length);
      names.forEach((name, i) => expect(name.replace(/_/g, '-'), name).toContain(`-${stages[i]!}-`));
    }
    expect(props<{ BucketName?: string }>('HistoryBucket').BucketName).toBeUndefined();
  });

  it('names the Glue database as Athena wants it (lowercase, underscores) and the stream within 64 characters', () => {
    expect(history.historyNames(SERVICE, 'Prod-EU')).toMatchObject({ database: 'firehose_sse_guard_prod_eu_history' });
    expect(history.historyNames(SERVICE, 'prod').deliveryStream.length).toBeLessThanOrEqual(64);
  });

  it('references only its own resources, the dependencies it declares and pseudo parameters', () => {
    const known = new Set([...Object.keys(built.Resources), ...history.HISTORY_DEPENDENCIES]);
    const text = JSON.stringify(built);
    const refs = [
      ...text.matchAll(/"Ref":"([^"]+)"/g),
      ...text.matchAll(/"Fn::GetAtt":\["([^"]+)"/g),
      ...text.matchAll(/\$\{([\w]+)[.}]/g),
    ].map((m) => m[1]!);
    for (const ref of refs.filter((r) => !r.startsWith('AWS::'))) expect(known, ref).toContain(ref);
    expect(history.HISTORY_DEPENDENCIES).toEqual(['ComplianceBus', 'RuleDeadLetterQueue']);
  });
});

type Schema = { title: string; properties?: Record<string, Schema>; definitions?: Record<string, Schema>; $ref?: string };
const schemas = readdirSync(new URL('../../infra/schemas/', import.meta.url)).map(
  (file) => JSON.parse(readFileSync(new URL(`../../infra/schemas/${file}`, import.meta.url), 'utf8')) as Schema,
);
const schemaOf = (detailType: string) => schemas.find((s) => s.title.replace(/ \(.*$/, '') === detailType);
/** Whether a JSON path ($.a.b) names a property of the schema, following local $refs. */
function hasPath(root: Schema, path: string): boolean {
  let at: Schema | undefined = root;
  for (const key of path.replace(/^\$\./, '').split('.')) {
    if (at?.$ref) at = root.definitions?.[at.$ref.replace('#/definitions/', '')];
    at = at?.properties?.[key];
    if (!at) return false;
  }
  return true;
}

describe('infra/history-resources.cjs: the Athena queries of the README', () => {
  const queries = Object.entries(history.ATHENA_QUERIES);

  it('has the four queries the README shows', () => {
    expect(Object.keys(history.ATHENA_QUERIES)).toEqual([
      'latestVerdictPerStream',
      'remediationsPerDay',
      'timeToCompliant',
      'deferralsByReason',
    ]);
  });

  it.each(queries)('%s: balanced, one statement, reads the history table pruned by dt', (_name, sql) => {
    const unquoted = sql.replace(/'[^']*'/g, "''").replace(/"[^"]*"/g, '""');
    expect(unquoted.split("'").length % 2, 'single quotes pair up').toBe(1);
    expect(unquoted.split('"').length % 2, 'double quotes pair up').toBe(1);
    let depth = 0;
    for (const c of unquoted) {
      depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(unquoted).not.toContain(';');
    expect(sql).toMatch(/^(SELECT|WITH)\b/);
    expect(sql).toMatch(new RegExp(`\\bFROM ${history.HISTORY_TABLE}\\b`));
    expect(sql).toContain(`dt >= CAST(current_date - INTERVAL '30' DAY AS varchar)`);
    // `time` is quoted wherever it is read (a keyword in Athena's DDL).
    expect(unquoted).not.toMatch(/[^"\w]time[^"\w]/);
    const columns = new Set(['version', 'id', 'detail_type', 'source', 'account', 'time', 'region', 'resources', 'detail', 'dt']);
    for (const [, column] of sql.matchAll(/json_extract_scalar\((\w+),/g)) expect(columns).toContain(column);
  });

  it.each(queries)('%s: reads detail-types and detail fields that the event schemas define', (_name, sql) => {
    const types = [...sql.matchAll(/detail_type = '([^']+)'/g)].map((m) => m[1]!);
    expect(types.length).toBeGreaterThan(0);
    const paths = [...sql.matchAll(/json_extract_scalar\(detail, '([^']+)'\)/g)].map((m) => m[1]!);
    for (const type of types) {
      const schema = schemaOf(type);
      expect(schema, `a schema in infra/schemas/ titled ${type}`).toBeDefined();
      for (const path of paths) expect(hasPath(schema!, path), `${type}: ${path}`).toBe(true);
    }
  });
});

describe('infra/history-resources.cjs: a standalone template', () => {
  it('writes the resources, with stand-ins for their two dependencies, as a CloudFormation template file', () => {
    const template = {
      AWSTemplateFormatVersion: '2010-09-09',
      Description: 'firehose-sse-guard compliance history (issue 15), standalone',
      Resources: {
        ComplianceBus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'firehose-sse-guard-test-compliance' } },
        RuleDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true } },
        ...built.Resources,
      },
      Outputs: built.Outputs,
    };
    const file = join(mkdtempSync(join(tmpdir(), 'history-template-')), 'history.json');
    writeFileSync(file, JSON.stringify(template, null, 2));
    const read = JSON.parse(readFileSync(file, 'utf8')) as typeof template;
    expect(Object.keys(read.Resources)).toHaveLength(Object.keys(built.Resources).length + history.HISTORY_DEPENDENCIES.length);
    expect(read).toEqual(JSON.parse(JSON.stringify(template)));
  });
});
