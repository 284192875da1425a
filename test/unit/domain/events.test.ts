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
  type EventKind,
} from '../../../functions/domain/events.ts';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.ts';
import { AT, EXAMPLE_DETAILS as examples, schemaValidator } from '../../support/schemas.ts';

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
    expect(event.detail).toMatchObject({
      version: EVENT_TYPES[kind].version,
      kind,
      occurredAt: '2026-11-01T12:00:00.000Z',
      correlationId: 'exec-1',
    });
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
