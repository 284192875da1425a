import type { KeyType } from '../firehose-facts.ts';
import { InvalidStreamNameError, MalformedEventError } from '../errors.ts';
import { parseStreamArn, streamRef, type StreamRef } from '../stream-ref.ts';

/**
 * How far ahead of the intake's clock an event may be dated: clocks of AWS services and of the
 * intake differ a little. An event dated later is refused: recorded in the budget ledger, a call
 * "made" in year 9999 would never age out of the 24-hour window and hold the stream at 25 for good.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A refusal's reason is at most this long: it goes into a dead letter, a log line and a response. */
export const MAX_REASON_CHARS = 1024;

/** A value quoted in a reason is cut to this many characters (a 200 KB stream name is quoted by its start). */
export const MAX_QUOTED_CHARS = 100;

/** The intake event that EventBridge Scheduler (and the local scheduler) delivers when a retry is due. */
export const SCHEDULED_RETRY = { source: 'firehose-sse-guard.scheduler', detailType: 'Scheduled Retry' } as const;

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
  /** AWS Config evaluated the stream with a rule (the trigger rule lets only the configured rule names through). */
  | { kind: 'config'; change: 'compliance'; ref: StreamRef; eventId: string; eventTime: number; rule: string; compliance: string }
  /** AWS Config recorded a configuration item of the stream. It names no actor (see takeIn). */
  | { kind: 'config'; change: 'item'; ref: StreamRef; eventId: string; eventTime: number }
  /** A deferral or failure coming back at the time it named. */
  | { kind: 'scheduled-retry'; ref: StreamRef; eventId: string; eventTime: number; reason: string; scheduledFor: number };

/** The scheduled-retry event as delivered: exactly what scheduledRetryEvent builds. */
export interface ScheduledRetryEvent {
  source: typeof SCHEDULED_RETRY.source;
  'detail-type': typeof SCHEDULED_RETRY.detailType;
  id: string;
  time: string;
  detail: { stream: { account: string; region: string; name: string }; reason: string; scheduledFor: string };
}

/**
 * Builds the event that brings a stream back at `at`: the input of an EventBridge Scheduler
 * one-time schedule whose target is the intake, and what the local scheduler passes to the intake.
 * `id` must be unique per retry: the execution is named after it, so a repeated delivery starts
 * nothing twice. The reason is cut to MAX_REASON_CHARS so that the event always parses.
 *
 * @example
 * scheduledRetryEvent(ref, 'BUDGET_SPENT: next call at 2026-11-02T10:00:00.000Z', nextAttemptAt, `${executionName}-retry`);
 */
export function scheduledRetryEvent(ref: StreamRef, reason: string, at: number, id: string): ScheduledRetryEvent {
  const time = new Date(at).toISOString();
  return {
    source: SCHEDULED_RETRY.source,
    'detail-type': SCHEDULED_RETRY.detailType,
    id,
    time,
    detail: {
      stream: { account: ref.account, region: ref.region, name: ref.name },
      reason: cut(reason, MAX_REASON_CHARS),
      scheduledFor: time,
    },
  };
}

const API_CALLS = new Set([
  'CreateDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
  'DeleteDeliveryStream',
]);
const COMPLIANCE_CHANGE = 'Config Rules Compliance Change';
const ITEM_CHANGE = 'Config Configuration Item Change';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Cuts a quoted value (JSON text) to MAX_QUOTED_CHARS, with an ellipsis and its full length. */
function cutQuoted(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  return `${text.slice(0, MAX_QUOTED_CHARS)}…${text.startsWith('"') ? '"' : ''} (${text.length} characters)`;
}

/**
 * A value as a reason quotes it: its JSON, cut to MAX_QUOTED_CHARS with an ellipsis and its full
 * length, so that a huge invalid value never makes a huge reason.
 *
 * @example
 * quote('orders'); // '"orders"'
 * quote('x'.repeat(200_000)); // the opening quote, 99 x, then '…" (200002 characters)'
 */
export function quote(value: unknown): string {
  return cutQuoted(JSON.stringify(value) ?? String(value));
}

/** A JSON string within a message: a quote, escaped or plain characters, a quote. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/**
 * Bounds a reason that others wrote (stream-ref's errors quote the whole refused value): each quoted
 * value is cut to MAX_QUOTED_CHARS, then the whole to MAX_REASON_CHARS. Idempotent.
 */
export function boundReason(reason: string): string {
  return cut(reason.length <= MAX_REASON_CHARS ? reason : reason.replace(QUOTED, cutQuoted), MAX_REASON_CHARS);
}

function field(object: Json, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), object);
}

function requireString(object: Json, path: string, label = path): string {
  const value = field(object, path);
  if (typeof value !== 'string' || value.length === 0)
    throw new MalformedEventError(`event: ${label} must be a non-empty string, got ${quote(value)}`);
  return value;
}

function readTime(object: Json, path: string, label: string): number {
  const text = requireString(object, path, label);
  const time = Date.parse(text);
  if (!Number.isFinite(time)) throw new MalformedEventError(`event: ${label} is not a timestamp: ${quote(text)}`);
  return time;
}

/** A timestamp no later than the intake's clock allows (MAX_EVENT_CLOCK_SKEW_MS). */
function requireTime(object: Json, path: string, now: number, label = path): number {
  const time = readTime(object, path, label);
  if (time > now + MAX_EVENT_CLOCK_SKEW_MS) {
    throw new MalformedEventError(
      `event: ${label} ${new Date(time).toISOString()} is ${Math.ceil((time - now) / 1000)} s ahead of the intake's clock ` +
        `(${new Date(now).toISOString()}); at most ${MAX_EVENT_CLOCK_SKEW_MS / 1000} s of clock skew are accepted`,
    );
  }
  return time;
}

function requireOnly(object: Json, keys: readonly string[], label: string): void {
  const unknown = Object.keys(object).filter((key) => !keys.includes(key));
  if (unknown.length > 0)
    throw new MalformedEventError(`event: ${label} has unknown fields ${quote(unknown)}; expected only ${keys.join(', ')}`);
}

/**
 * Parses an EventBridge event from CloudTrail (Firehose API calls), AWS Config or the retry
 * scheduler into an IntakeEvent; anything else, or anything incomplete, is a MalformedEventError (or
 * InvalidStreamNameError) naming the field, with values quoted within bounds. Failed calls (with
 * `errorCode`) are refused too: the rules never deliver them. So are events dated more than
 * MAX_EVENT_CLOCK_SKEW_MS after `now`, the intake's clock.
 */
export function parseIntakeEvent(raw: unknown, now: number): IntakeEvent {
  try {
    return parseEvent(raw, now);
  } catch (error) {
    // stream-ref quotes the refused value whole: a 200 KB name would make a 200 KB reason.
    if (error instanceof InvalidStreamNameError) {
      const bounded = boundReason(error.message);
      if (bounded !== error.message) throw new InvalidStreamNameError(bounded, [bounded], { cause: error });
    }
    throw error;
  }
}

function parseEvent(raw: unknown, now: number): IntakeEvent {
  if (!isObject(raw)) throw new MalformedEventError('event: expected an EventBridge event object');
  const source = raw.source;
  const detailType = raw['detail-type'];
  const detail = raw.detail;
  if (!isObject(detail)) throw new MalformedEventError('event: detail must be an object');
  if (source === 'aws.firehose' && detailType === 'AWS API Call via CloudTrail') return parseApiCall(raw, detail, now);
  if (source === 'aws.config' && (detailType === COMPLIANCE_CHANGE || detailType === ITEM_CHANGE))
    return parseConfig(raw, detail, detailType, now);
  if (source === SCHEDULED_RETRY.source && detailType === SCHEDULED_RETRY.detailType) return parseScheduledRetry(raw, detail, now);
  throw new MalformedEventError(`event: unsupported source/detail-type ${quote(source)} / ${quote(detailType)}`);
}

function parseApiCall(raw: Json, detail: Json, now: number): IntakeEvent {
  const eventName = requireString(detail, 'eventName', 'detail.eventName');
  if (!API_CALLS.has(eventName)) throw new MalformedEventError(`event: eventName ${quote(eventName)} is not a call the remediator acts on`);
  if (detail.errorCode !== undefined) throw new MalformedEventError(`event: a failed call (${quote(detail.errorCode)}) is not a trigger`);
  const account = detail.recipientAccountId ?? raw.account;
  const ref = streamRef(account, detail.awsRegion ?? raw.region, field(detail, 'requestParameters.deliveryStreamName'));
  const actor =
    (field(detail, 'userIdentity.sessionContext.sessionIssuer.arn') as string | undefined) ??
    (field(detail, 'userIdentity.arn') as string | undefined) ??
    'unknown';
  const requestId = field(detail, 'requestID');
  const keyInput = field(detail, 'requestParameters.deliveryStreamEncryptionConfigurationInput');
  const keyType = isObject(keyInput) ? keyInput.keyType : undefined;
  const keyArn = isObject(keyInput) ? keyInput.keyARN : undefined;
  const streamType = field(detail, 'requestParameters.deliveryStreamType');
  return {
    kind: 'api-call',
    eventName: eventName as Extract<IntakeEvent, { kind: 'api-call' }>['eventName'],
    ref,
    eventId: requireString(detail, 'eventID', 'detail.eventID'),
    eventTime: requireTime(detail, 'eventTime', now, 'detail.eventTime'),
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

function parseConfig(raw: Json, detail: Json, detailType: typeof COMPLIANCE_CHANGE | typeof ITEM_CHANGE, now: number): IntakeEvent {
  const compliance = detailType === COMPLIANCE_CHANGE;
  const item = compliance ? detail : detail.configurationItem;
  if (!isObject(item)) throw new MalformedEventError('event: detail.configurationItem must be an object');
  const resourceType = item.resourceType;
  if (resourceType !== 'AWS::KinesisFirehose::DeliveryStream') {
    throw new MalformedEventError(`event: resourceType ${quote(resourceType)} is not a Firehose stream`);
  }
  // Config names a stream by name (resourceName / resourceId); accept its ARN too.
  const id = compliance ? item.resourceId : (item.resourceName ?? item.resourceId);
  const ref =
    typeof id === 'string' && id.startsWith('arn:')
      ? parseStreamArn(id)
      : streamRef(item.awsAccountId ?? raw.account, item.awsRegion ?? raw.region, id);
  const envelope = { ref, eventId: requireString(raw, 'id'), eventTime: requireTime(raw, 'time', now) };
  if (!compliance) return { kind: 'config', change: 'item', ...envelope };
  return {
    kind: 'config',
    change: 'compliance',
    ...envelope,
    rule: requireString(detail, 'configRuleName', 'detail.configRuleName'),
    compliance: requireString(detail, 'newEvaluationResult.complianceType', 'detail.newEvaluationResult.complianceType'),
  };
}

function parseScheduledRetry(raw: Json, detail: Json, now: number): IntakeEvent {
  requireOnly(detail, ['stream', 'reason', 'scheduledFor'], 'detail');
  const stream = detail.stream;
  if (!isObject(stream)) throw new MalformedEventError('event: detail.stream must be an object');
  requireOnly(stream, ['account', 'region', 'name'], 'detail.stream');
  const reason = requireString(detail, 'reason', 'detail.reason');
  if (reason.length > MAX_REASON_CHARS)
    throw new MalformedEventError(`event: detail.reason must be at most ${MAX_REASON_CHARS} characters, got ${reason.length}`);
  return {
    kind: 'scheduled-retry',
    ref: streamRef(stream.account, stream.region, stream.name),
    eventId: requireString(raw, 'id'),
    eventTime: requireTime(raw, 'time', now),
    reason,
    scheduledFor: readTime(detail, 'scheduledFor', 'detail.scheduledFor'),
  };
}
