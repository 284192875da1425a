import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { EVENT_TYPES, type EventDetails, type EventKind } from '../../functions/domain/events.ts';

// The EventBridge schema registry takes JSON Schema draft 4, so the schemas are written in it.
type AjvInstance = { compile(schema: object): ValidateFunction };
const AjvDraft04 = AjvDraft04Module as unknown as new (options: object) => AjvInstance;
const addFormats = addFormatsModule as unknown as (ajv: AjvInstance) => AjvInstance;
const ajv = addFormats(new AjvDraft04({ allErrors: true, strict: true }));
const cache = new Map<EventKind, ValidateFunction>();

/** The compiled JSON Schema of an event kind, read from infra/schemas/. */
export function schemaValidator(kind: EventKind): ValidateFunction {
  let validate = cache.get(kind);
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL(`../../infra/schemas/${EVENT_TYPES[kind].schema}`, import.meta.url), 'utf8')) as object;
    validate = ajv.compile(schema);
    cache.set(kind, validate);
  }
  return validate;
}

/** When the example events happen. */
export const AT = Date.UTC(2026, 10, 1, 12);
const stream = {
  account: '123456789012',
  region: 'us-east-1',
  name: 'orders',
  arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders',
};
const cmk = {
  keyType: 'CUSTOMER_MANAGED_CMK' as const,
  keyArn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111',
};

/** A valid detail of each event kind (without the common fields buildEvent adds). */
export const EXAMPLE_DETAILS: { [K in EventKind]: EventDetails[K] } = {
  evaluated: {
    stream,
    verdict: 'REMEDIATE',
    reason: 'ENCRYPTION_DISABLED',
    encryption: { status: 'DISABLED' },
    trigger: 'stream-created',
    mode: 'enforce',
  },
  remediationStarted: {
    stream,
    reason: 'ENCRYPTION_DISABLED',
    key: cmk,
    attempts: 1,
    budget: { remainingOurs: 19, remainingTotal: 24 },
  },
  remediationSucceeded: {
    stream,
    key: cmk,
    attempts: 1,
    callsSpent: 1,
    viaFallback: false,
    detectedAt: new Date(AT - 60_000).toISOString(),
    protectedAt: new Date(AT).toISOString(),
    timeToCompliantSeconds: 60,
  },
  remediationDeferred: {
    stream,
    reason: 'BUDGET_SPENT',
    nextAttemptAt: new Date(AT + 3_600_000).toISOString(),
    budget: { remainingOurs: 0, remainingTotal: 3 },
    details: 'share spent',
  },
  remediationFailed: {
    stream,
    reason: 'KEY_PROBLEM',
    failureType: 'DISABLED_KMS_KEY',
    details: 'disabled',
    stillEncryptedWith: { keyType: 'AWS_OWNED_CMK' },
    attempts: 1,
    callsSpent: 1,
  },
  driftDetected: {
    stream,
    eventName: 'StopDeliveryStreamEncryption',
    actor: 'arn:aws:iam::123456789012:user/alice',
    calledAt: new Date(AT).toISOString(),
  },
  budgetLow: { stream, remainingOurs: 2, remainingTotal: 7, threshold: 5 },
  keyChangeFailed: { stream, failureType: 'DISABLED_KMS_KEY', details: 'the new key is disabled', key: cmk },
  complianceSnapshot: {
    sweepId: 'sweep-1',
    account: '123456789012',
    regions: ['us-east-1'],
    totals: { streams: 3, COMPLIANT: 1, NOT_APPLICABLE: 1, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 1 },
    nonCompliant: [{ name: 'orders', region: 'us-east-1', reason: 'ENCRYPTION_DISABLED' }],
    truncated: false,
  },
  organizationSnapshot: {
    sweepId: 'sweep-1',
    startedAt: new Date(AT - 600_000).toISOString(),
    accounts: 2,
    targets: 3,
    totals: { streams: 9, COMPLIANT: 5, NOT_APPLICABLE: 1, EXEMPT: 1, GONE: 0, BUSY: 0, REMEDIATE: 2 },
    workflowsStarted: 2,
    byTarget: [
      { account: '123456789012', region: 'us-east-1', streams: 5, nonCompliant: 2 },
      { account: '210987654321', region: 'us-east-1', streams: 4, nonCompliant: 0 },
    ],
    failed: [{ account: '210987654321', region: 'eu-west-1', error: 'AccessDenied: not authorized to perform sts:AssumeRole' }],
    truncated: false,
  },
};
