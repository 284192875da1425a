/**
 * The published events' details as zod schemas: the one definition that infra/schemas/*.json is
 * generated from (`npx tsx local/generate-schemas.ts`; a unit test fails when a file differs from what
 * its schema generates), and that the domain's types are checked against here at compile time.
 * No handler imports it: the Lambdas build events with buildEvent and carry none of this.
 */
import * as z from 'zod/mini';
import { EVENT_TYPES, ROLL_UP_FAILED_LIMIT, ROLL_UP_LIST_LIMIT, SNAPSHOT_LIST_LIMIT, type EventKind, type GuardEvent } from './events.ts';
import {
  ENCRYPTION_CALLS_PER_WINDOW,
  FAILURE_DETAILS_MAX_LENGTH,
  KMS_KEY_ARN_PATTERN,
  STREAM_ARN_PATTERN,
  STREAM_NAME_PATTERN,
} from './firehose-facts.ts';
import {
  countSchema,
  deferredReasonSchema,
  encryptionStatusSchema,
  failedReasonSchema,
  keyTypeSchema,
  nonCompliantStreamSchema,
  remediationReasonSchema,
  triggerSchema,
  verdictSchema,
  verdictTotalsSchema,
} from './shapes.ts';

/** An AWS account id: 12 digits. */
const accountId = z.string().check(z.regex(/^\d{12}$/));

/** `stream` in every event: where it lives, and its ARN. */
export const streamPartSchema = z.strictObject({
  account: accountId,
  region: z.string().check(z.minLength(1)),
  name: z.string().check(z.regex(STREAM_NAME_PATTERN)),
  arn: z.string().check(z.regex(STREAM_ARN_PATTERN)),
});

/** A key as events name it: its type, and its ARN when it is a customer managed key. */
export const keyPartSchema = z.strictObject({ keyType: keyTypeSchema, keyArn: z.optional(z.string().check(z.regex(KMS_KEY_ARN_PATTERN))) });

/** What the remediator had left of a stream's 25 calls, its share and in all. */
export const budgetPartSchema = z.strictObject({
  remainingOurs: z.int().check(z.minimum(0), z.maximum(ENCRYPTION_CALLS_PER_WINDOW)),
  remainingTotal: z.int().check(z.minimum(0), z.maximum(ENCRYPTION_CALLS_PER_WINDOW)),
});

/** A point in time as events carry it: ISO 8601, UTC (`Date.prototype.toISOString`). */
const instant = z.iso.datetime();

/** The fields every detail starts with (buildEvent): its version and kind, when, and the workflow it came from. */
function detailOf<K extends EventKind, S extends z.core.$ZodLooseShape>(kind: K, description: string, shape: S) {
  return z
    .strictObject({
      version: z.literal(EVENT_TYPES[kind].version),
      kind: z.literal(kind),
      occurredAt: instant,
      correlationId: z.string().check(z.minLength(1)),
      ...shape,
    })
    .check(z.describe(description));
}

/** The detail of each published event kind, as EVENT_TYPES lists them. */
export const EVENT_DETAIL_SCHEMAS = {
  evaluated: detailOf(
    'evaluated',
    "The policy's verdict on one stream at the time of an evaluation, with the encryption seen then: one per stream a sweep looks at (evaluatedBy sweep), one per workflow at its last look (evaluatedBy workflow; a remediated stream is COMPLIANT and ENABLED).",
    {
      stream: streamPartSchema,
      verdict: verdictSchema,
      reason: z.optional(z.string()),
      encryption: z.strictObject({ status: encryptionStatusSchema, keyType: z.optional(keyTypeSchema), keyArn: z.optional(z.string()) }),
      trigger: triggerSchema,
      mode: z.enum(['enforce', 'audit']),
      evaluatedBy: z.optional(z.enum(['sweep', 'workflow'])),
    },
  ),
  remediationStarted: detailOf('remediationStarted', 'StartDeliveryStreamEncryption is about to be called (one budget call reserved).', {
    stream: streamPartSchema,
    reason: remediationReasonSchema,
    key: keyPartSchema,
    attempts: z.int().check(z.minimum(1)),
    budget: budgetPartSchema,
  }),
  remediationSucceeded: detailOf(
    'remediationSucceeded',
    'The stream is ENABLED and the 5-second settle time has passed: every record is encrypted.',
    {
      stream: streamPartSchema,
      key: keyPartSchema,
      attempts: z.int().check(z.minimum(1)),
      callsSpent: countSchema,
      viaFallback: z.boolean(),
      detectedAt: instant,
      protectedAt: instant,
      timeToCompliantSeconds: z.number().check(z.minimum(0)),
    },
  ),
  remediationDeferred: detailOf(
    'remediationDeferred',
    'The stream is left for later: budget spent, stream busy, key at capacity, or audit mode.',
    {
      stream: streamPartSchema,
      reason: deferredReasonSchema,
      nextAttemptAt: z.optional(instant),
      budget: z.optional(budgetPartSchema),
      details: z.string(),
    },
  ),
  remediationFailed: detailOf('remediationFailed', 'Remediation ended without encrypting the stream with an accepted key.', {
    stream: streamPartSchema,
    reason: failedReasonSchema,
    failureType: z.optional(z.string()),
    details: z.string(),
    stillEncryptedWith: z.optional(keyPartSchema),
    attempts: countSchema,
    callsSpent: countSchema,
  }),
  driftDetected: detailOf('driftDetected', "Someone other than the remediator stopped or changed a stream's encryption.", {
    stream: streamPartSchema,
    eventName: z.enum(['StopDeliveryStreamEncryption', 'StartDeliveryStreamEncryption']),
    actor: z.string(),
    calledAt: instant,
    key: z.optional(keyPartSchema),
  }),
  budgetLow: detailOf('budgetLow', 'The remediator has few of its encryption calls left for a stream.', {
    stream: streamPartSchema,
    remainingOurs: countSchema,
    remainingTotal: countSchema,
    threshold: countSchema,
    nextAvailableAt: z.optional(instant),
  }),
  keyChangeFailed: detailOf(
    'keyChangeFailed',
    "A StartDeliveryStreamEncryption that changed a stream's key ended ENABLING_FAILED: encryption remains enabled with the old key, " +
      'which the policy accepts, so the stream stays COMPLIANT and no call is spent.',
    {
      stream: streamPartSchema,
      failureType: z.string().check(z.minLength(1)),
      details: z.string().check(z.minLength(1), z.maxLength(FAILURE_DETAILS_MAX_LENGTH)),
      key: keyPartSchema,
    },
  ),
  complianceSnapshot: detailOf('complianceSnapshot', "The account's compliance after a sweep.", {
    sweepId: z.string().check(z.minLength(1)),
    account: accountId,
    regions: z.array(z.string()).check(z.minLength(1)),
    totals: verdictTotalsSchema,
    nonCompliant: z.array(nonCompliantStreamSchema).check(z.maxLength(SNAPSHOT_LIST_LIMIT)),
    truncated: z.boolean(),
  }),
  organizationSnapshot: detailOf(
    'organizationSnapshot',
    "An organization sweep's roll-up: every account and region's Compliance Snapshot summed, the targets with the most non-compliant streams first, and the accounts or regions that could not be swept (for example, no member role).",
    {
      sweepId: z.string().check(z.minLength(1)),
      startedAt: instant,
      accounts: countSchema,
      targets: countSchema,
      totals: verdictTotalsSchema,
      workflowsStarted: countSchema,
      byTarget: z
        .array(z.strictObject({ account: accountId, region: z.string(), streams: countSchema, nonCompliant: countSchema }))
        .check(z.maxLength(ROLL_UP_LIST_LIMIT)),
      failed: z
        .array(z.strictObject({ account: accountId, region: z.optional(z.string()), error: z.string().check(z.maxLength(300)) }))
        .check(z.maxLength(ROLL_UP_FAILED_LIMIT)),
      truncated: z.boolean(),
    },
  ),
} as const satisfies { [K in EventKind]: z.ZodMiniType };

/** Strips `readonly` all the way down: the domain's types are read-only, what zod infers is not. */
type Mutable<T> = T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;

/**
 * True only when A and B are the same type, readonly aside: each field in both, optional in both or
 * in neither, of the same type. (Mutual assignability is not enough: it lets an optional field be
 * missing on one side.)
 */
type SameShape<A, B> = (<G>() => G extends Mutable<A> ? 1 : 2) extends <G>() => G extends Mutable<B> ? 1 : 2 ? true : false;

/** A detail without its version: GuardEvent types it `string`, the schema `EVENT_TYPES[kind].version` itself. */
type Versionless<T> = Omit<T, 'version'>;

// Each schema gives exactly the detail that buildEvent builds (EventDetails plus the common fields).
const _detailsAgree: {
  [K in EventKind]: SameShape<Versionless<z.output<(typeof EVENT_DETAIL_SCHEMAS)[K]>>, Versionless<GuardEvent<K>['detail']>>;
} = {
  evaluated: true,
  remediationStarted: true,
  remediationSucceeded: true,
  remediationDeferred: true,
  remediationFailed: true,
  driftDetected: true,
  budgetLow: true,
  keyChangeFailed: true,
  complianceSnapshot: true,
  organizationSnapshot: true,
};
