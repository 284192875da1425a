import { describe, expect, it } from 'vitest';
import {
  ASFF_SCHEMA_VERSION,
  DATA_FIREHOSE_CONTROL,
  FINDING_OUTCOMES,
  FINDINGS_PER_IMPORT,
  defaultProductArn,
  FINDING_EVENT_TYPES,
  findingIdOf,
  findingInputOfEvent,
  findingOf,
  importBatches,
} from '../../../functions/domain/findings.ts';
import { buildEvent, EVENT_TYPES, type EventDetails, type EventKind } from '../../../functions/domain/events.ts';
import { MalformedEventError } from '../../../functions/domain/errors.ts';

const stream = {
  account: '123456789012',
  region: 'eu-west-1',
  name: 'orders',
  arn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders',
};
const T0 = Date.UTC(2026, 10, 1, 12);
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the ASFF finding of a stream', () => {
  // "The following top-level attributes in the AWS Security Finding Format (ASFF) are required for all
  // findings in Security Hub CSPM": asff-required-attributes.html
  const REQUIRED = [
    'AwsAccountId',
    'CreatedAt',
    'Description',
    'GeneratorId',
    'Id',
    'ProductArn',
    'Resources',
    'SchemaVersion',
    'Severity',
    'Title',
    'Types',
    'UpdatedAt',
  ] as const;

  it.each(FINDING_OUTCOMES)('has every required top-level attribute for %s', (outcome) => {
    const finding = findingOf({ stream, outcome, observedAt: T0 });
    for (const attribute of REQUIRED) expect(finding[attribute], attribute).toBeTruthy();
    expect(finding.SchemaVersion).toBe('2018-10-08');
    expect(finding.Description.length).toBeLessThanOrEqual(1024);
    // Types: "namespace/category/classifier"
    for (const type of finding.Types) expect(type.split('/').length).toBeGreaterThanOrEqual(3);
  });

  it('names the default product of the stream account and region, as a custom integration must', () => {
    const finding = findingOf({ stream, outcome: 'NON_COMPLIANT', observedAt: T0 });
    // "arn:aws:securityhub:<region>:<account>:product/<account>/default", AwsAccountId the caller's account.
    expect(finding.ProductArn).toBe('arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default');
    expect(finding.AwsAccountId).toBe('123456789012');
    expect(defaultProductArn('123456789012', 'cn-north-1')).toBe(
      'arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default',
    );
  });

  it('has one Id per stream, whatever the outcome, so that a later import updates it', () => {
    const ids = new Set(FINDING_OUTCOMES.map((outcome) => findingOf({ stream, outcome, observedAt: T0 }).Id));
    expect([...ids]).toEqual([findingIdOf(stream)]);
    expect(findingIdOf(stream)).toBe('firehose-sse-guard/123456789012/eu-west-1/orders');
  });

  it('describes the stream as a resource of type Other (ASFF has no Firehose details object) by its ARN', () => {
    const finding = findingOf({ stream, outcome: 'REMEDIATED', key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN }, observedAt: T0 });
    expect(finding.Resources).toEqual([
      {
        Type: 'Other',
        Id: stream.arn,
        Partition: 'aws',
        Region: 'eu-west-1',
        Details: { Other: { deliveryStreamName: 'orders', keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN } },
      },
    ]);
  });

  it('links to the control DataFirehose.1 and its documentation', () => {
    const finding = findingOf({ stream, outcome: 'FAILED', reason: 'KEY_PROBLEM', observedAt: T0 });
    expect(finding.Compliance.SecurityControlId).toBe('DataFirehose.1');
    expect(finding.Remediation.Recommendation.Url).toBe(DATA_FIREHOSE_CONTROL.url);
    expect(finding.GeneratorId).toBe('firehose-sse-guard/DataFirehose.1');
  });

  it('resolves the finding when the stream is remediated: PASSED, archived, RESOLVED at creation', () => {
    const finding = findingOf({ stream, outcome: 'REMEDIATED', key: { keyType: 'AWS_OWNED_CMK' }, observedAt: T0 });
    expect(finding.Compliance.Status).toBe('PASSED');
    expect(finding.RecordState).toBe('ARCHIVED');
    expect(finding.Workflow.Status).toBe('RESOLVED');
    expect(finding.Severity.Label).toBe('INFORMATIONAL');
    expect(finding.ProductFields['firehose-sse-guard/outcome']).toBe('REMEDIATED');
    expect(finding.ProductFields['firehose-sse-guard/keyType']).toBe('AWS_OWNED_CMK');
  });

  it('reports a failure as FAILED, active and NEW, with its reason', () => {
    const finding = findingOf({ stream, outcome: 'FAILED', reason: 'KEY_PROBLEM', details: 'the key is disabled', observedAt: T0 });
    expect(finding.Compliance).toEqual({
      Status: 'FAILED',
      SecurityControlId: 'DataFirehose.1',
      StatusReasons: [{ ReasonCode: 'KEY_PROBLEM', Description: 'the key is disabled' }],
    });
    expect(finding.RecordState).toBe('ACTIVE');
    expect(finding.Workflow.Status).toBe('NEW');
    expect(finding.Severity.Label).toBe('HIGH');
    expect(finding.FindingProviderFields.Severity.Label).toBe('HIGH');
    expect(finding.Description).toContain('the key is disabled');
  });

  it('reports a deferral for a spent budget as FAILED (the stream is still unencrypted) with the budget and the next attempt', () => {
    const finding = findingOf({
      stream,
      outcome: 'DEFERRED',
      reason: 'BUDGET_SPENT',
      budget: { remainingOurs: 0, remainingTotal: 3 },
      nextAttemptAt: '2026-11-02T08:00:00.000Z',
      observedAt: T0,
    });
    expect(finding.Compliance.Status).toBe('FAILED');
    expect(finding.RecordState).toBe('ACTIVE');
    expect(finding.ProductFields).toMatchObject({
      'firehose-sse-guard/reason': 'BUDGET_SPENT',
      'firehose-sse-guard/budgetRemainingOurs': '0',
      'firehose-sse-guard/budgetRemainingTotal': '3',
      'firehose-sse-guard/nextAttemptAt': '2026-11-02T08:00:00.000Z',
    });
    expect(finding.Description).toContain('Budget left: 0 of ours, 3 in all');
  });

  it('archives the finding of a deleted stream', () => {
    const finding = findingOf({ stream, outcome: 'GONE', observedAt: T0 });
    expect(finding.RecordState).toBe('ARCHIVED');
    expect(finding.Compliance.Status).toBe('NOT_AVAILABLE');
  });

  it('moves UpdatedAt with each observation and keeps CreatedAt at the first one when known', () => {
    const finding = findingOf({ stream, outcome: 'DEFERRED', observedAt: T0 + 60_000, firstObservedAt: T0 });
    expect(finding.CreatedAt).toBe(new Date(T0).toISOString());
    expect(finding.UpdatedAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(finding.FirstObservedAt).toBe(finding.CreatedAt);
    expect(finding.LastObservedAt).toBe(finding.UpdatedAt);
    // ISO 8601 with a Z, as "CreatedAt": "2017-03-22T13:22:13.933Z"
    expect(finding.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(findingOf({ stream, outcome: 'COMPLIANT', observedAt: T0 }).CreatedAt).toBe(new Date(T0).toISOString());
  });

  it('keeps a long reason within the 1,024 characters of Description', () => {
    const finding = findingOf({ stream, outcome: 'FAILED', reason: 'UNEXPECTED', details: 'x'.repeat(5000), observedAt: T0 });
    expect(finding.Description).toHaveLength(1024);
    expect(finding.Compliance.StatusReasons?.[0]?.Description).toHaveLength(1024);
  });

  it('is the schema version constant', () => {
    expect(ASFF_SCHEMA_VERSION).toBe('2018-10-08');
  });
});

describe('import batches', () => {
  it('splits findings into requests of at most 100 (the BatchImportFindings maximum)', () => {
    const batches = importBatches(Array.from({ length: 250 }, (_, i) => i));
    expect(FINDINGS_PER_IMPORT).toBe(100);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(importBatches([])).toEqual([]);
  });
});

/** A compliance event as EventBridge delivers it (envelope time in whole seconds, as the bus sets it). */
function delivered<K extends EventKind>(kind: K, detail: EventDetails[K], at = T0) {
  const event = buildEvent(kind, detail, at, 'exec-1');
  return {
    version: '0',
    id: 'e-1',
    'detail-type': event.detailType,
    source: event.source,
    account: stream.account,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: stream.region,
    resources: [stream.arn],
    detail: event.detail,
  };
}

describe('the finding of a compliance event', () => {
  it('follows the per-stream outcome events only', () => {
    expect([...FINDING_EVENT_TYPES].sort()).toEqual(
      [EVENT_TYPES.evaluated, EVENT_TYPES.remediationSucceeded, EVENT_TYPES.remediationDeferred, EVENT_TYPES.remediationFailed]
        .map((t) => t.detailType)
        .sort(),
    );
  });

  it('reads a success as REMEDIATED with its key, first observed when the problem was detected', () => {
    const detectedAt = new Date(T0 - 90_000).toISOString();
    const input = findingInputOfEvent(
      delivered('remediationSucceeded', {
        stream,
        key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN },
        attempts: 1,
        callsSpent: 1,
        viaFallback: false,
        detectedAt,
        protectedAt: new Date(T0).toISOString(),
        timeToCompliantSeconds: 90,
      }),
    );
    expect(input).toEqual({
      stream,
      outcome: 'REMEDIATED',
      key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: KEY_ARN },
      observedAt: T0,
      firstObservedAt: T0 - 90_000,
    });
  });

  it('reads a deferral with its reason, budget and next attempt', () => {
    const input = findingInputOfEvent(
      delivered('remediationDeferred', {
        stream,
        reason: 'BUDGET_SPENT',
        budget: { remainingOurs: 0, remainingTotal: 4 },
        nextAttemptAt: '2026-11-02T08:00:00.000Z',
        details: 'the budget is spent',
      }),
    );
    expect(input).toEqual({
      stream,
      outcome: 'DEFERRED',
      reason: 'BUDGET_SPENT',
      details: 'the budget is spent',
      budget: { remainingOurs: 0, remainingTotal: 4 },
      nextAttemptAt: '2026-11-02T08:00:00.000Z',
      observedAt: T0,
    });
  });

  it('reads a failure with its reason and failure type, and the key the stream still has', () => {
    const input = findingInputOfEvent(
      delivered('remediationFailed', {
        stream,
        reason: 'KEY_PROBLEM',
        failureType: 'KMS_KEY_NOT_FOUND',
        details: 'the key is gone',
        stillEncryptedWith: { keyType: 'AWS_OWNED_CMK' },
        attempts: 2,
        callsSpent: 1,
      }),
    );
    expect(input).toMatchObject({ outcome: 'FAILED', reason: 'KEY_PROBLEM/KMS_KEY_NOT_FOUND', key: { keyType: 'AWS_OWNED_CMK' } });
  });

  it('reads an evaluation by its verdict; none for BUSY (the next look decides) nor REMEDIATE (the workflow outcome, published at the same time, decides)', () => {
    const evaluated = (verdict: EventDetails['evaluated']['verdict']) =>
      findingInputOfEvent(
        delivered('evaluated', {
          stream,
          verdict,
          encryption: { status: 'ENABLED', keyType: 'AWS_OWNED_CMK' },
          trigger: 'sweep',
          mode: 'enforce',
        }),
      );
    expect(evaluated('COMPLIANT')).toMatchObject({ outcome: 'COMPLIANT', key: { keyType: 'AWS_OWNED_CMK' } });
    expect(evaluated('REMEDIATE')).toBeUndefined();
    expect(evaluated('EXEMPT')?.outcome).toBe('EXEMPT');
    expect(evaluated('NOT_APPLICABLE')?.outcome).toBe('NOT_APPLICABLE');
    expect(evaluated('GONE')?.outcome).toBe('GONE');
    expect(evaluated('BUSY')).toBeUndefined();
  });

  it('uses the envelope time when the detail has no occurredAt', () => {
    const event = delivered('remediationDeferred', { stream, reason: 'STREAM_BUSY', details: 'creating' }, T0 + 1_234);
    const { occurredAt: _dropped, ...detail } = event.detail;
    expect(findingInputOfEvent({ ...event, detail })?.observedAt).toBe(T0 + 1_000);
  });

  it('refuses an event that is not a per-stream outcome, naming the field', () => {
    expect(() => findingInputOfEvent({ source: 'firehose-sse-guard', 'detail-type': 'Budget Low', time: 'x', detail: {} })).toThrow(
      MalformedEventError,
    );
    expect(() => findingInputOfEvent({ source: 'firehose-sse-guard', 'detail-type': 'Remediation Failed', time: 'x', detail: {} })).toThrow(
      /detail\.stream/,
    );
  });
});
