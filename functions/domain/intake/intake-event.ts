import type { KeyType } from '../firehose-facts.ts';
import { MalformedEventError } from '../errors.ts';
import { parseStreamArn, streamRef, type StreamRef } from '../stream-ref.ts';

/** A triggering event, parsed strictly into what the intake needs. */
export type IntakeEvent =
  | {
      kind: 'api-call';
      eventName: 'CreateDeliveryStream' | 'StartDeliveryStreamEncryption' | 'StopDeliveryStreamEncryption' | 'DeleteDeliveryStream';
      ref: StreamRef;
      eventId: string;
      /** Epoch ms. */
      eventTime: number;
      requestId?: string;
      /** The IAM principal behind the call: the role of an assumed-role session, else the caller's ARN. */
      actor: string;
      streamType?: string;
      requestedKey?: { keyType: KeyType; keyArn?: string };
    }
  | { kind: 'config'; ref: StreamRef; eventId: string; eventTime: number; compliance?: string };

const API_CALLS = new Set(['CreateDeliveryStream', 'StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption', 'DeleteDeliveryStream']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(object: Json, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), object);
}

function requireString(object: Json, path: string): string {
  const value = field(object, path);
  if (typeof value !== 'string' || value.length === 0) throw new MalformedEventError(`event: ${path} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function requireTime(object: Json, path: string): number {
  const text = requireString(object, path);
  const time = Date.parse(text);
  if (!Number.isFinite(time)) throw new MalformedEventError(`event: ${path} is not a timestamp: ${JSON.stringify(text)}`);
  return time;
}

/**
 * Parses an EventBridge event from CloudTrail (Firehose API calls) or AWS Config into an
 * IntakeEvent; anything else, or anything incomplete, is a MalformedEventError naming the field.
 * Failed calls (with `errorCode`) are refused too: the rules never deliver them.
 */
export function parseIntakeEvent(raw: unknown): IntakeEvent {
  if (!isObject(raw)) throw new MalformedEventError('event: expected an EventBridge event object');
  const source = raw.source;
  const detailType = raw['detail-type'];
  const detail = raw.detail;
  if (!isObject(detail)) throw new MalformedEventError('event: detail must be an object');
  if (source === 'aws.firehose' && detailType === 'AWS API Call via CloudTrail') return parseApiCall(raw, detail);
  if (source === 'aws.config' && (detailType === 'Config Rules Compliance Change' || detailType === 'Config Configuration Item Change')) {
    return parseConfig(raw, detail, detailType);
  }
  throw new MalformedEventError(`event: unsupported source/detail-type ${JSON.stringify(source)} / ${JSON.stringify(detailType)}`);
}

function parseApiCall(raw: Json, detail: Json): IntakeEvent {
  const eventName = requireString(detail, 'eventName');
  if (!API_CALLS.has(eventName)) throw new MalformedEventError(`event: eventName ${eventName} is not a call the remediator acts on`);
  if (detail.errorCode !== undefined) throw new MalformedEventError(`event: a failed call (${String(detail.errorCode)}) is not a trigger`);
  const account = (detail.recipientAccountId ?? raw.account) as unknown;
  const ref = streamRef(account, detail.awsRegion ?? raw.region, field(detail, 'requestParameters.deliveryStreamName'));
  const actor =
    (field(detail, 'userIdentity.sessionContext.sessionIssuer.arn') as string | undefined) ?? (field(detail, 'userIdentity.arn') as string | undefined) ?? 'unknown';
  const requestId = field(detail, 'requestID');
  const keyInput = field(detail, 'requestParameters.deliveryStreamEncryptionConfigurationInput');
  const keyType = isObject(keyInput) ? keyInput.keyType : undefined;
  const keyArn = isObject(keyInput) ? keyInput.keyARN : undefined;
  const streamType = field(detail, 'requestParameters.deliveryStreamType');
  return {
    kind: 'api-call',
    eventName: eventName as Extract<IntakeEvent, { kind: 'api-call' }>['eventName'],
    ref,
    eventId: requireString(detail, 'eventID'),
    eventTime: requireTime(detail, 'eventTime'),
    actor,
    ...(typeof requestId === 'string' ? { requestId } : {}),
    ...(typeof streamType === 'string' ? { streamType } : {}),
    ...(eventName === 'StartDeliveryStreamEncryption'
      ? {
          requestedKey: {
            keyType: keyType === 'CUSTOMER_MANAGED_CMK' ? 'CUSTOMER_MANAGED_CMK' : 'AWS_OWNED_CMK',
            ...(typeof keyArn === 'string' ? { keyArn } : {}),
          },
        }
      : {}),
  };
}

function parseConfig(raw: Json, detail: Json, detailType: string): IntakeEvent {
  const compliance = detailType === 'Config Rules Compliance Change';
  const item = compliance ? detail : (detail.configurationItem as Json | undefined);
  if (!isObject(item)) throw new MalformedEventError('event: detail.configurationItem must be an object');
  const resourceType = item.resourceType;
  if (resourceType !== 'AWS::KinesisFirehose::DeliveryStream') {
    throw new MalformedEventError(`event: resourceType ${JSON.stringify(resourceType)} is not a Firehose stream`);
  }
  // Config names a stream by name (resourceName / resourceId); accept its ARN too.
  const id = (compliance ? item.resourceId : (item.resourceName ?? item.resourceId)) as unknown;
  const ref =
    typeof id === 'string' && id.startsWith('arn:')
      ? parseStreamArn(id)
      : streamRef(item.awsAccountId ?? raw.account, item.awsRegion ?? raw.region, id);
  const complianceType = field(detail, 'newEvaluationResult.complianceType');
  const eventId = typeof raw.id === 'string' && raw.id ? raw.id : `${ref.name}-${String(raw.time ?? '')}`;
  const time = typeof raw.time === 'string' ? Date.parse(raw.time) : Number.NaN;
  return {
    kind: 'config',
    ref,
    eventId,
    eventTime: Number.isFinite(time) ? time : Number.NaN,
    ...(typeof complianceType === 'string' ? { compliance: complianceType } : {}),
  };
}
