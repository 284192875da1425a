/**
 * Facts about Amazon Data Firehose server-side encryption, each defined once.
 *
 * Source: shared/reference/start-delivery-stream-encryption.txt and firehose-facts.md (the Firehose
 * API model, 2015-08-04). The remediator's rules and the local emulator both read these, so that a
 * number (25 calls, 24 hours, 5 seconds, 500 streams) has exactly one definition.
 */

/** "StartDeliveryStreamEncryption and StopDeliveryStreamEncryption have a combined limit of 25 calls per delivery stream per 24 hours." */
export const ENCRYPTION_CALLS_PER_WINDOW = 25;

/** The rolling window of the combined Start+Stop limit. */
export const ENCRYPTION_CALL_WINDOW_MS = 24 * 60 * 60 * 1000;

/** "It can take up to 5 seconds after the encryption status changes to ENABLED before all records written to the delivery stream are encrypted." */
export const ENCRYPTION_SETTLE_MS = 5_000;

/** "You can use a CMK of type CUSTOMER_MANAGED_CMK to encrypt up to 500 delivery streams." */
export const STREAMS_PER_CUSTOMER_MANAGED_KEY = 500;

/** Control-plane operations: "up to 5 calls per second", a hard limit (developer guide). */
export const CONTROL_PLANE_CALLS_PER_SECOND = 5;

/** "You can enable SSE for a delivery stream only if it's a delivery stream that uses DirectPut as its source." */
export const ENCRYPTABLE_STREAM_TYPE = 'DirectPut';

export const ENCRYPTION_STATUSES = ['ENABLED', 'ENABLING', 'ENABLING_FAILED', 'DISABLED', 'DISABLING', 'DISABLING_FAILED'] as const;
export type EncryptionStatus = (typeof ENCRYPTION_STATUSES)[number];

export const KEY_TYPES = ['AWS_OWNED_CMK', 'CUSTOMER_MANAGED_CMK'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const STREAM_STATUSES = ['CREATING', 'CREATING_FAILED', 'DELETING', 'DELETING_FAILED', 'ACTIVE'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export const STREAM_TYPES = ['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];

export const ENCRYPTION_FAILURE_TYPES = [
  'VPC_ENDPOINT_SERVICE_NAME_NOT_FOUND',
  'VPC_INTERFACE_ENDPOINT_SERVICE_ACCESS_DENIED',
  'RETIRE_KMS_GRANT_FAILED',
  'CREATE_KMS_GRANT_FAILED',
  'KMS_ACCESS_DENIED',
  'DISABLED_KMS_KEY',
  'INVALID_KMS_KEY',
  'KMS_KEY_NOT_FOUND',
  'KMS_OPT_IN_REQUIRED',
  'CREATE_ENI_FAILED',
  'DELETE_ENI_FAILED',
  'SUBNET_NOT_FOUND',
  'SECURITY_GROUP_NOT_FOUND',
  'ENI_ACCESS_DENIED',
  'SUBNET_ACCESS_DENIED',
  'SECURITY_GROUP_ACCESS_DENIED',
  'UNKNOWN_ERROR',
] as const;
export type EncryptionFailureType = (typeof ENCRYPTION_FAILURE_TYPES)[number];

/** Stream name: 1..64 characters of `[a-zA-Z0-9_.-]`. */
export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;

/** Stream ARN: `arn:<partition>:firehose:<region>:<12 digits>:deliverystream/<name>`. */
export const STREAM_ARN_PATTERN = /^arn:(aws[a-z-]*):firehose:([a-z0-9-]+):(\d{12}):deliverystream\/([a-zA-Z0-9_.-]{1,64})$/;

/** A KMS key ARN (alias ARNs are refused by the newer API models). */
export const KMS_KEY_ARN_PATTERN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key\/([a-zA-Z0-9_+=,.@-]+)$/;

/** `FailureDescription.Details`: 1..1024 characters. */
export const FAILURE_DETAILS_MAX_LENGTH = 1024;

/** The operations that share the control-plane rate limit. */
export const CONTROL_PLANE_OPERATIONS = [
  'CreateDeliveryStream',
  'DeleteDeliveryStream',
  'DescribeDeliveryStream',
  'ListDeliveryStreams',
  'UpdateDestination',
  'TagDeliveryStream',
  'UntagDeliveryStream',
  'ListTagsForDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
] as const;

export function streamArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:firehose:${region}:${account}:deliverystream/${name}`;
}

/** The partition a region belongs to (ARNs of its resources and roles start `arn:<partition>:`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}
