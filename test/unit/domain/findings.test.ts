import { describe, expect, it } from 'vitest';
import {
  ASFF_SCHEMA_VERSION,
  DATA_FIREHOSE_CONTROL,
  FINDING_OUTCOMES,
  FINDINGS_PER_IMPORT,
  defaultProductArn,
  findingIdOf,
  findingOf,
  importBatches,
} from '../../../functions/domain/findings.ts';

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
