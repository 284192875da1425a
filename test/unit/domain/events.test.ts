import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decideStream } from '../../../functions/domain/decision.ts';
import {
  buildEvent,
  decisionReason,
  DEFERRED_REASONS,
  FAILED_REASONS,
  TRIGGERS,
  EVENT_SOURCE,
  EVENT_TYPES,
  type EventDetails,
  type EventKind,
} from '../../../functions/domain/events.ts';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.ts';
import { schemaValidator } from '../../support/schemas.ts';

const AT = Date.UTC(2026, 10, 1, 12);
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

const examples: { [K in EventKind]: EventDetails[K] } = {
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
    targetKey: cmk,
    attempt: 1,
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
    eventTime: new Date(AT).toISOString(),
  },
  budgetLow: { stream, remainingOurs: 2, remainingTotal: 7, threshold: 5 },
  keyChangeFailed: { stream, failureType: 'DISABLED_KMS_KEY', details: 'the new key is disabled', keptKey: cmk },
  complianceSnapshot: {
    sweepId: 'sweep-1',
    account: '123456789012',
    regions: ['us-east-1'],
    totals: { streams: 3, COMPLIANT: 1, NOT_APPLICABLE: 1, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 1 },
    nonCompliant: [{ name: 'orders', region: 'us-east-1', reason: 'ENCRYPTION_DISABLED' }],
    truncated: false,
  },
};

describe('compliance events', () => {
  it('has one JSON Schema file per detail-type, and no stray schema', () => {
    const files = readdirSync(new URL('../../../infra/schemas/', import.meta.url)).sort();
    expect(files).toEqual(
      Object.values(EVENT_TYPES)
        .map((t) => t.schema)
        .sort(),
    );
  });

  it.each(Object.keys(EVENT_TYPES) as EventKind[])('builds a %s event that its schema accepts', (kind) => {
    const event = buildEvent(kind, examples[kind] as never, AT, 'exec-1');

    expect(event.source).toBe(EVENT_SOURCE);
    expect(event.detailType).toBe(EVENT_TYPES[kind].detailType);
    expect(event.detail).toMatchObject({ version: '1', kind, occurredAt: '2026-11-01T12:00:00.000Z', correlationId: 'exec-1' });
    const validate = schemaValidator(kind);
    expect(validate(event.detail), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(Object.keys(EVENT_TYPES) as EventKind[])('the %s schema refuses a detail with a missing field or an unknown one', (kind) => {
    const validate = schemaValidator(kind);
    const { correlationId: _dropped, ...missing } = buildEvent(kind, examples[kind] as never, AT, 'exec-1').detail;
    expect(validate(missing)).toBe(false);
    expect(validate({ ...buildEvent(kind, examples[kind] as never, AT, 'exec-1').detail, surprise: 1 })).toBe(false);
  });

  it('gives each decision a short reason', () => {
    expect(decisionReason(decideStream(undefined, {}, DEFAULT_POLICY))).toBeUndefined();
    expect(decisionReason({ verdict: 'EXEMPT', by: 'tag', rule: 'a=b' })).toBe('tag:a=b');
    expect(decisionReason({ verdict: 'BUSY', streamStatus: 'ACTIVE', encryptionStatus: 'ENABLING' })).toBe('ACTIVE/ENABLING');
    expect(decisionReason({ verdict: 'NOT_APPLICABLE', streamType: 'MSKAsSource' })).toBe('MSKAsSource');
    expect(decisionReason({ verdict: 'COMPLIANT', keyType: 'AWS_OWNED_CMK', viaFallback: true })).toBe('fallback-key');
    expect(decisionReason({ verdict: 'COMPLIANT', keyType: 'AWS_OWNED_CMK', viaFallback: false })).toBeUndefined();
    expect(decisionReason({ verdict: 'REMEDIATE', reason: 'KEY_NOT_APPROVED', target: { keyType: 'AWS_OWNED_CMK' } })).toBe(
      'KEY_NOT_APPROVED',
    );
  });

  it('has the reasons and triggers of the domain in its JSON Schemas, one list each', () => {
    const schema = (file: string) =>
      JSON.parse(readFileSync(new URL(`../../../infra/schemas/${file}`, import.meta.url), 'utf8')) as {
        properties: Record<string, { enum?: string[] }>;
      };
    expect(schema('remediation-deferred.json').properties.reason?.enum).toEqual([...DEFERRED_REASONS]);
    expect(schema('remediation-failed.json').properties.reason?.enum).toEqual([...FAILED_REASONS]);
    expect(schema('stream-evaluated.json').properties.trigger?.enum).toEqual([...TRIGGERS]);
  });
});
