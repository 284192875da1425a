import * as z from 'zod/mini';
import type { KeyType } from '../firehose-facts.ts';
import { InvalidStreamNameError, MalformedEventError } from '../errors.ts';
import { cutQuoted, keyTypeSchema, quote, readShape } from '../shapes.ts';
import { parseStreamArn, streamRef, type StreamRef } from '../stream-ref.ts';

export { MAX_QUOTED_CHARS, quote } from '../shapes.ts';

/**
 * How far ahead of the intake's clock an event may be dated: clocks of AWS services and of the
 * intake differ a little. An event dated later is refused: recorded in the budget ledger, a call
 * "made" in year 9999 would never age out of the 24-hour window and hold the stream at 25 for good.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A refusal's reason is at most this long: it goes into a dead letter, a log line and a response. */
export const MAX_REASON_CHARS = 1024;

/** The intake event that EventBridge Scheduler (and the local scheduler) delivers when a retry is due. */
export const SCHEDULED_RETRY = { source: 'firehose-sse-guard.scheduler', detailType: 'Scheduled Retry' } as const;

/** The Firehose calls the remediator acts on (CloudTrail's `eventName`). */
const API_CALLS = [
  'CreateDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
  'DeleteDeliveryStream',
] as const;
type ApiCallName = (typeof API_CALLS)[number];

/** A triggering event, parsed strictly into what the intake needs. */
export type IntakeEvent =
  | {
      kind: 'api-call';
      eventName: ApiCallName;
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

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
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

const nonEmpty = (issue: { input?: unknown }) => `must be a non-empty string, got ${quote(issue.input)}`;

/** A string the intake needs: present, and not empty. */
const text = z.string({ error: nonEmpty }).check(z.minLength(1));

/** A time as `Date.parse` reads it, in epoch ms. */
const timestamp = z.pipe(
  text,
  z.transform((value: string, context) => {
    const time = Date.parse(value);
    if (Number.isFinite(time)) return time;
    context.issues.push({ code: 'custom', input: value, message: `is not a timestamp: ${quote(value)}` });
    return z.NEVER;
  }),
);

/** An object with these fields and no other (the scheduled retry is ours: anything more is a mistake). */
function only<S extends z.core.$ZodLooseShape>(shape: S) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `has unknown fields ${quote(issue.keys)} (expected only ${expected})` : undefined,
  });
}

/** Where an event names the stream: each part is checked by stream-ref (its own errors and messages). */
const streamPart = z.optional(z.unknown());

const FIREHOSE_STREAM = 'AWS::KinesisFirehose::DeliveryStream';
const firehoseResource = z.literal(FIREHOSE_STREAM, { error: (issue) => `${quote(issue.input)} is not a Firehose stream` });

// CloudTrail and Config send far more than this; only what the intake reads is named (and checked).
// Each event is read in two steps, as it always has been: first which event it is and which stream
// (a stream-ref refusal, e.g. "invalid account id", comes before anything else), then the rest.
// `nullish` where the intake has always read a null like a missing field.

const apiCallSubjectSchema = z.object({
  account: streamPart,
  region: streamPart,
  detail: z.object({
    eventName: z.enum(API_CALLS, { error: (issue) => `${quote(issue.input)} is not a call the remediator acts on` }),
    errorCode: z.optional(z.never({ error: (issue) => `is ${quote(issue.input)}: a failed call is not a trigger` })),
    recipientAccountId: streamPart,
    awsRegion: streamPart,
    requestParameters: z.nullish(z.object({ deliveryStreamName: streamPart })),
  }),
});

const apiCallSchema = z.object({
  detail: z.object({
    eventID: text,
    eventTime: timestamp,
    requestID: z.nullish(z.string()),
    /** The caller; `sessionContext.sessionIssuer.arn` is the role behind an assumed-role session. */
    userIdentity: z.nullish(
      z.object({
        arn: z.nullish(z.string()),
        sessionContext: z.nullish(z.object({ sessionIssuer: z.nullish(z.object({ arn: z.nullish(z.string()) })) })),
      }),
    ),
    requestParameters: z.nullish(
      z.object({
        deliveryStreamType: z.nullish(z.string()),
        deliveryStreamEncryptionConfigurationInput: z.nullish(
          z.object({ keyType: z.nullish(keyTypeSchema), keyARN: z.nullish(z.string()) }),
        ),
      }),
    ),
  }),
});

/** Config names a stream by name (resourceId, resourceName) or by ARN, in an account and region. */
const configResource = { resourceType: firehoseResource, resourceId: streamPart, awsAccountId: streamPart, awsRegion: streamPart };
const configEnvelope = { account: streamPart, region: streamPart };
/** The event's own id and time: where Config and the retry scheduler say which event it is and when. */
const idAndTimeSchema = z.object({ id: text, time: timestamp });

const complianceSubjectSchema = z.object({ ...configEnvelope, detail: z.object(configResource) });
const complianceChangeSchema = z.extend(idAndTimeSchema, {
  detail: z.object({ configRuleName: text, newEvaluationResult: z.object({ complianceType: text }) }),
});

const itemSubjectSchema = z.object({
  ...configEnvelope,
  detail: z.object({ configurationItem: z.object({ ...configResource, resourceName: streamPart }) }),
});

/** Exactly what scheduledRetryEvent builds. */
const scheduledRetrySubjectSchema = z.object({
  detail: only({
    stream: only({ account: streamPart, region: streamPart, name: streamPart }),
    reason: z.string({ error: nonEmpty }).check(
      z.minLength(1),
      z.maxLength(MAX_REASON_CHARS, {
        error: (issue) =>
          `must be at most ${MAX_REASON_CHARS} characters, got ${typeof issue.input === 'string' ? issue.input.length : quote(issue.input)}`,
      }),
    ),
    scheduledFor: z.optional(z.unknown()),
  }),
});
const scheduledRetrySchema = z.extend(idAndTimeSchema, { detail: z.object({ scheduledFor: timestamp }) });

/** An EventBridge event: an object whose detail is an object. */
const envelopeSchema = z.object(
  { source: z.optional(z.unknown()), 'detail-type': z.optional(z.unknown()), detail: z.looseObject({}) },
  { error: (issue) => (issue.code === 'invalid_type' ? 'expected an EventBridge event object' : undefined) },
);

/** The events the intake takes, by source and detail-type, and how each is read. */
const INTAKE_EVENTS = [
  { source: 'aws.firehose', detailType: 'AWS API Call via CloudTrail', read: readApiCall },
  { source: 'aws.config', detailType: 'Config Rules Compliance Change', read: readComplianceChange },
  { source: 'aws.config', detailType: 'Config Configuration Item Change', read: readItemChange },
  { source: SCHEDULED_RETRY.source, detailType: SCHEDULED_RETRY.detailType, read: readScheduledRetry },
] as const satisfies readonly { source: string; detailType: string; read: (raw: unknown, now: number) => IntakeEvent }[];

/**
 * Parses an EventBridge event from CloudTrail (Firehose API calls), AWS Config or the retry
 * scheduler into an IntakeEvent; anything else, or anything incomplete, is a MalformedEventError (or
 * InvalidStreamNameError) naming each field by its path, with values quoted within bounds. Failed
 * calls (with `errorCode`) are refused too: the rules never deliver them. So are events dated more
 * than MAX_EVENT_CLOCK_SKEW_MS after `now`, the intake's clock.
 */
export function parseIntakeEvent(raw: unknown, now: number): IntakeEvent {
  try {
    const envelope = readShape(envelopeSchema, raw, 'event');
    const known = INTAKE_EVENTS.find((e) => e.source === envelope.source && e.detailType === envelope['detail-type']);
    if (!known) {
      throw new MalformedEventError(`event: unsupported source/detail-type ${quote(envelope.source)} / ${quote(envelope['detail-type'])}`);
    }
    return known.read(raw, now);
  } catch (error) {
    // stream-ref quotes the refused value whole: a 200 KB name would make a 200 KB reason.
    if (error instanceof InvalidStreamNameError) {
      const bounded = boundReason(error.message);
      if (bounded !== error.message) throw new InvalidStreamNameError(bounded, [bounded], { cause: error });
    }
    throw error;
  }
}

/** A time no later than the intake's clock allows (MAX_EVENT_CLOCK_SKEW_MS). */
function notAhead(time: number, now: number, label: string): number {
  if (time > now + MAX_EVENT_CLOCK_SKEW_MS) {
    throw new MalformedEventError(
      `event: ${label} ${new Date(time).toISOString()} is ${Math.ceil((time - now) / 1000)} s ahead of the intake's clock ` +
        `(${new Date(now).toISOString()}); at most ${MAX_EVENT_CLOCK_SKEW_MS / 1000} s of clock skew are accepted`,
    );
  }
  return time;
}

function readApiCall(raw: unknown, now: number): IntakeEvent {
  const subject = readShape(apiCallSubjectSchema, raw, 'event');
  const { eventName, recipientAccountId, awsRegion, requestParameters } = subject.detail;
  const ref = streamRef(recipientAccountId ?? subject.account, awsRegion ?? subject.region, requestParameters?.deliveryStreamName);
  const { detail } = readShape(apiCallSchema, raw, 'event');
  const keyInput = detail.requestParameters?.deliveryStreamEncryptionConfigurationInput;
  const streamType = detail.requestParameters?.deliveryStreamType;
  return {
    kind: 'api-call',
    eventName,
    ref,
    eventId: detail.eventID,
    eventTime: notAhead(detail.eventTime, now, 'detail.eventTime'),
    actor: detail.userIdentity?.sessionContext?.sessionIssuer?.arn ?? detail.userIdentity?.arn ?? 'unknown',
    ...(typeof detail.requestID === 'string' ? { requestId: detail.requestID } : {}),
    ...(typeof streamType === 'string' ? { streamType } : {}),
    ...(eventName === 'StartDeliveryStreamEncryption'
      ? {
          requestedKey: {
            // StartDeliveryStreamEncryption without a key input encrypts with the AWS owned key.
            keyType: keyInput?.keyType ?? 'AWS_OWNED_CMK',
            ...(typeof keyInput?.keyARN === 'string' ? { keyArn: keyInput.keyARN } : {}),
          },
        }
      : {}),
  };
}

/** Config's stream: by ARN when resourceId (or resourceName) is one, else by name in its account and region. */
function configRef(
  id: unknown,
  resource: { awsAccountId?: unknown; awsRegion?: unknown },
  envelope: { account?: unknown; region?: unknown },
) {
  return typeof id === 'string' && id.startsWith('arn:')
    ? parseStreamArn(id)
    : streamRef(resource.awsAccountId ?? envelope.account, resource.awsRegion ?? envelope.region, id);
}

function readComplianceChange(raw: unknown, now: number): IntakeEvent {
  const subject = readShape(complianceSubjectSchema, raw, 'event');
  const ref = configRef(subject.detail.resourceId, subject.detail, subject);
  const { id, time, detail } = readShape(complianceChangeSchema, raw, 'event');
  return {
    kind: 'config',
    change: 'compliance',
    ref,
    eventId: id,
    eventTime: notAhead(time, now, 'time'),
    rule: detail.configRuleName,
    compliance: detail.newEvaluationResult.complianceType,
  };
}

function readItemChange(raw: unknown, now: number): IntakeEvent {
  const subject = readShape(itemSubjectSchema, raw, 'event');
  const item = subject.detail.configurationItem;
  const ref = configRef(item.resourceName ?? item.resourceId, item, subject);
  const { id, time } = readShape(idAndTimeSchema, raw, 'event');
  return { kind: 'config', change: 'item', ref, eventId: id, eventTime: notAhead(time, now, 'time') };
}

function readScheduledRetry(raw: unknown, now: number): IntakeEvent {
  const { stream, reason } = readShape(scheduledRetrySubjectSchema, raw, 'event').detail;
  const ref = streamRef(stream.account, stream.region, stream.name);
  const { id, time, detail } = readShape(scheduledRetrySchema, raw, 'event');
  return { kind: 'scheduled-retry', ref, eventId: id, eventTime: notAhead(time, now, 'time'), reason, scheduledFor: detail.scheduledFor };
}
