import { KEY_TYPES, STREAM_TYPES } from '../../functions/domain/firehose-facts.ts';
import { blob, bool, doc, int, list, str, struct, type Shape } from './shapes.ts';

// Constraints as the Firehose (2015-08-04) and KMS (2014-11-01) API models state them.
const streamName = str({ min: 1, max: 64, pattern: /^[a-zA-Z0-9_.-]+$/ });
/** The model's KeyARN pattern, less the alias form that newer models refuse. */
const keyArn = str({ min: 1, max: 512, pattern: /^arn:.*:kms:[a-zA-Z0-9-]+:\d{12}:key\/[a-zA-Z_0-9+=,.@\-_/]+$/ });
const roleArn = str({ min: 1, max: 512, pattern: /^arn:.*:iam::\d{12}:role\/[a-zA-Z_0-9+=,.@\-_/]+$/ });
const tagKey = str({ min: 1, max: 128, pattern: /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@%]*$/u });
const tagValue = str({ min: 0, max: 256, pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@%]*$/u });
const tag = struct({ Key: tagKey, Value: tagValue }, ['Key']);
const encryptionInput = struct({ KeyARN: keyArn, KeyType: str({ enum: KEY_TYPES }) }, ['KeyType']);
const record = struct({ Data: blob({ min: 0, max: 1_024_000 }) }, ['Data']);

export const firehoseShapes: Record<string, Shape> = {
  CreateDeliveryStream: struct(
    {
      DeliveryStreamName: streamName,
      DeliveryStreamType: str({ enum: STREAM_TYPES }),
      DirectPutSourceConfiguration: doc(),
      KinesisStreamSourceConfiguration: struct(
        {
          KinesisStreamARN: str({ min: 1, max: 512, pattern: /^arn:.*:kinesis:[a-zA-Z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]+$/ }),
          RoleARN: roleArn,
        },
        ['KinesisStreamARN', 'RoleARN'],
      ),
      MSKSourceConfiguration: struct(
        { MSKClusterARN: str({ min: 1, max: 512 }), TopicName: str({ min: 1, max: 255 }), AuthenticationConfiguration: doc() },
        ['MSKClusterARN', 'TopicName', 'AuthenticationConfiguration'],
      ),
      DatabaseSourceConfiguration: doc(),
      DeliveryStreamEncryptionConfigurationInput: encryptionInput,
      S3DestinationConfiguration: doc(),
      ExtendedS3DestinationConfiguration: doc(),
      RedshiftDestinationConfiguration: doc(),
      ElasticsearchDestinationConfiguration: doc(),
      AmazonopensearchserviceDestinationConfiguration: doc(),
      SplunkDestinationConfiguration: doc(),
      HttpEndpointDestinationConfiguration: doc(),
      AmazonOpenSearchServerlessDestinationConfiguration: doc(),
      SnowflakeDestinationConfiguration: doc(),
      IcebergDestinationConfiguration: doc(),
      Tags: list(tag, { min: 1, max: 50 }),
    },
    ['DeliveryStreamName'],
  ),
  DeleteDeliveryStream: struct({ DeliveryStreamName: streamName, AllowForceDelete: bool() }, ['DeliveryStreamName']),
  DescribeDeliveryStream: struct(
    { DeliveryStreamName: streamName, Limit: int({ min: 1, max: 10_000 }), ExclusiveStartDestinationId: str({ min: 1, max: 100 }) },
    ['DeliveryStreamName'],
  ),
  ListDeliveryStreams: struct({
    Limit: int({ min: 1, max: 10_000 }),
    DeliveryStreamType: str({ enum: STREAM_TYPES }),
    ExclusiveStartDeliveryStreamName: streamName,
  }),
  StartDeliveryStreamEncryption: struct({ DeliveryStreamName: streamName, DeliveryStreamEncryptionConfigurationInput: encryptionInput }, [
    'DeliveryStreamName',
  ]),
  StopDeliveryStreamEncryption: struct({ DeliveryStreamName: streamName }, ['DeliveryStreamName']),
  PutRecord: struct({ DeliveryStreamName: streamName, Record: record }, ['DeliveryStreamName', 'Record']),
  PutRecordBatch: struct({ DeliveryStreamName: streamName, Records: list(record, { min: 1, max: 500 }) }, [
    'DeliveryStreamName',
    'Records',
  ]),
  TagDeliveryStream: struct({ DeliveryStreamName: streamName, Tags: list(tag, { min: 1, max: 50 }) }, ['DeliveryStreamName', 'Tags']),
  UntagDeliveryStream: struct({ DeliveryStreamName: streamName, TagKeys: list(tagKey, { min: 1, max: 50 }) }, [
    'DeliveryStreamName',
    'TagKeys',
  ]),
  ListTagsForDeliveryStream: struct({ DeliveryStreamName: streamName, ExclusiveStartTagKey: tagKey, Limit: int({ min: 1, max: 50 }) }, [
    'DeliveryStreamName',
  ]),
};

const keyId = str({ min: 1, max: 2048 });
export const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
] as const;
export const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;

export const kmsShapes: Record<string, Shape> = {
  CreateKey: struct({
    Policy: str({ min: 1, max: 32_768 }),
    Description: str({ min: 0, max: 8192 }),
    KeyUsage: str({ enum: KEY_USAGES }),
    KeySpec: str({ enum: KEY_SPECS }),
    CustomerMasterKeySpec: str({ enum: KEY_SPECS }),
    Origin: str({ enum: ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] }),
    Tags: list(struct({ TagKey: str({ min: 1, max: 128 }), TagValue: str({ min: 0, max: 256 }) }, ['TagKey', 'TagValue'])),
    MultiRegion: bool(),
    BypassPolicyLockoutSafetyCheck: bool(),
  }),
  DescribeKey: struct({ KeyId: keyId, GrantTokens: list(str()) }, ['KeyId']),
  EnableKey: struct({ KeyId: keyId }, ['KeyId']),
  DisableKey: struct({ KeyId: keyId }, ['KeyId']),
  ScheduleKeyDeletion: struct({ KeyId: keyId, PendingWindowInDays: int({ min: 1, max: 365 }) }, ['KeyId']),
  CancelKeyDeletion: struct({ KeyId: keyId }, ['KeyId']),
  GetKeyPolicy: struct({ KeyId: keyId, PolicyName: str({ min: 1, max: 128 }) }, ['KeyId']),
  PutKeyPolicy: struct(
    { KeyId: keyId, PolicyName: str({ min: 1, max: 128 }), Policy: str({ min: 1, max: 32_768 }), BypassPolicyLockoutSafetyCheck: bool() },
    ['KeyId', 'Policy'],
  ),
  ListKeys: struct({ Limit: int({ min: 1, max: 1000 }), Marker: str({ min: 1, max: 1024 }) }),
};

// STS (2011-06-15), the members of AssumeRole the model constrains.
export const stsShapes: Record<string, Shape> = {
  AssumeRole: struct(
    {
      RoleArn: str({ min: 20, max: 2048 }),
      RoleSessionName: str({ min: 2, max: 64, pattern: /^[\w+=,.@-]*$/ }),
      DurationSeconds: int({ min: 900, max: 43_200 }),
      ExternalId: str({ min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/ }),
      Policy: str({ min: 1 }),
      PolicyArns: doc(),
      Tags: doc(),
      TransitiveTagKeys: doc(),
      SerialNumber: str({ min: 9, max: 256 }),
      TokenCode: str({ min: 6, max: 6, pattern: /^\d*$/ }),
      SourceIdentity: str({ min: 2, max: 64 }),
      ProvidedContexts: doc(),
    },
    ['RoleArn', 'RoleSessionName'],
  ),
  GetCallerIdentity: struct({}),
};
