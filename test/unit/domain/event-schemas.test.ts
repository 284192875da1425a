import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { EVENT_DETAIL_SCHEMAS } from '../../../functions/domain/event-schemas.ts';
import { buildEvent, EVENT_TYPES, type EventKind } from '../../../functions/domain/events.ts';
import { eventJsonSchema, generatedSchemaFiles, SCHEMA_DIR } from '../../../local/generate-schemas.ts';
import { AT, EXAMPLE_DETAILS, schemaValidator } from '../../support/schemas.ts';

const KINDS = Object.keys(EVENT_TYPES) as EventKind[];

const committedText = (kind: EventKind) => readFileSync(new URL(EVENT_TYPES[kind].schema, SCHEMA_DIR), 'utf8');
const committed = (kind: EventKind) => JSON.parse(committedText(kind)) as Record<string, unknown>;

/**
 * Where two JSON Schemas differ, one line per difference by its path: a field, a type, a required
 * list, an enum, a bound or `additionalProperties` on one side and not the other, or different.
 */
function differences(ours: unknown, theirs: unknown, path = '$'): string[] {
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    return JSON.stringify(ours) === JSON.stringify(theirs) ? [] : [`${path}: ${JSON.stringify(ours)} ≠ ${JSON.stringify(theirs)}`];
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(ours) && isObject(theirs)) {
    return [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].flatMap((key) => {
      if (!(key in theirs)) return [`${path}.${key}: only in the zod schema`];
      if (!(key in ours)) return [`${path}.${key}: only in the JSON file`];
      return differences(ours[key], theirs[key], `${path}.${key}`);
    });
  }
  return Object.is(ours, theirs) ? [] : [`${path}: ${JSON.stringify(ours)} ≠ ${JSON.stringify(theirs)}`];
}

const detailOf = (kind: EventKind) => buildEvent(kind, EXAMPLE_DETAILS[kind] as never, AT, 'exec-1').detail as Record<string, unknown>;

describe('the published events: zod schemas (functions/domain/event-schemas.ts) and infra/schemas/*.json', () => {
  it.each(KINDS)('the %s schema file is what its zod schema generates, byte for byte (npx tsx local/generate-schemas.ts)', (kind) => {
    expect(differences(eventJsonSchema(kind), committed(kind))).toEqual([]);
    expect(committedText(kind)).toBe(generatedSchemaFiles()[EVENT_TYPES[kind].schema]);
  });

  it('generates draft-04 documents, each with its id, title and description', () => {
    const schema = eventJsonSchema('remediationDeferred');
    expect(schema).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      id: 'https://firehose-sse-guard.dev/schemas/remediation-deferred.json',
      title: 'Remediation Deferred (detail, version 1)',
      description: expect.stringContaining('left for later'),
      additionalProperties: false,
      properties: { stream: { $ref: '#/definitions/stream' }, budget: { $ref: '#/definitions/budget' } },
    });
    expect(Object.keys(schema.definitions as object).sort()).toEqual(['budget', 'stream']);
  });

  it('tells a field added to the zod schema only, required or optional, from the committed file', () => {
    const withRequired = z.extend(EVENT_DETAIL_SCHEMAS.budgetLow, { surprise: z.string() });
    const withOptional = z.extend(EVENT_DETAIL_SCHEMAS.budgetLow, { hint: z.optional(z.string()) });

    expect(differences(eventJsonSchema('budgetLow', withRequired), committed('budgetLow'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\$\.required: /), '$.properties.surprise: only in the zod schema']),
    );
    expect(differences(eventJsonSchema('budgetLow', withOptional), committed('budgetLow'))).toContain(
      '$.properties.hint: only in the zod schema',
    );
  });

  it('tells a field, an enum value or a closed object changed in a copy of the JSON file only', () => {
    const file = committed('remediationDeferred') as {
      properties: Record<string, { enum?: string[] }>;
      required: string[];
      additionalProperties?: boolean;
    };
    const added = structuredClone(file);
    added.properties.surprise = { enum: ['x'] };
    const widened = structuredClone(file);
    widened.properties.reason!.enum = [...widened.properties.reason!.enum!, 'BORED'];
    const opened = structuredClone(file);
    delete opened.additionalProperties;

    expect(differences(eventJsonSchema('remediationDeferred'), added)).toEqual(['$.properties.surprise: only in the JSON file']);
    expect(differences(eventJsonSchema('remediationDeferred'), widened)).toEqual([
      expect.stringMatching(/^\$\.properties\.reason\.enum: /),
    ]);
    expect(differences(eventJsonSchema('remediationDeferred'), opened)).toEqual(['$.additionalProperties: only in the zod schema']);
  });

  it.each(KINDS)('zod and the JSON Schema accept the same %s detail, and refuse it without a field or with one more', (kind) => {
    const validate = schemaValidator(kind);
    const detail = detailOf(kind);
    const { correlationId: _dropped, ...missing } = detail;
    const extra = { ...detail, surprise: 1 };

    expect(EVENT_DETAIL_SCHEMAS[kind].safeParse(detail).error?.issues).toBeUndefined();
    expect(validate(detail), JSON.stringify(validate.errors)).toBe(true);
    for (const refused of [missing, extra]) {
      expect(EVENT_DETAIL_SCHEMAS[kind].safeParse(refused).success).toBe(false);
      expect(validate(refused)).toBe(false);
    }
  });

  it('zod and the JSON Schema refuse the same malformed values: a stream name, a key ARN, a count, a time, an enum', () => {
    const started = detailOf('remediationStarted');
    const deferred = detailOf('remediationDeferred');
    const cases: [EventKind, Record<string, unknown>][] = [
      ['remediationStarted', { ...started, stream: { ...(started.stream as object), name: 'no spaces' } }],
      [
        'remediationStarted',
        { ...started, key: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: 'arn:aws:kms:us-east-1:123456789012:alias/x' } },
      ],
      ['remediationStarted', { ...started, attempts: 0 }],
      ['remediationStarted', { ...started, budget: { remainingOurs: 26, remainingTotal: 0 } }],
      ['remediationDeferred', { ...deferred, nextAttemptAt: 'tomorrow' }],
      ['remediationDeferred', { ...deferred, reason: 'BORED' }],
    ];
    for (const [kind, detail] of cases) {
      expect(EVENT_DETAIL_SCHEMAS[kind].safeParse(detail).success, JSON.stringify(detail)).toBe(false);
      expect(schemaValidator(kind)(detail), JSON.stringify(detail)).toBe(false);
    }
  });
});
