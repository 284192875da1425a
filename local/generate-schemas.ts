/**
 * Generates infra/schemas/*.json, the published events' JSON Schemas (draft 4, which the EventBridge
 * schema registry takes), from their zod schemas in functions/domain/event-schemas.ts.
 *
 *   npx tsx local/generate-schemas.ts          writes every file
 *   npx tsx local/generate-schemas.ts --check  writes nothing; exits 1 naming each file that differs
 *
 * test/unit/domain/event-schemas.test.ts fails when a committed file is not what this generates.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as z from 'zod/mini';
import { budgetPartSchema, EVENT_DETAIL_SCHEMAS, keyPartSchema, streamPartSchema } from '../functions/domain/event-schemas.ts';
import { EVENT_TYPES, type EventKind } from '../functions/domain/events.ts';

export const SCHEMA_DIR = new URL('../infra/schemas/', import.meta.url);
const SCHEMA_ID_BASE = 'https://firehose-sse-guard.dev/schemas/';

/** The parts every event shares go to `definitions` under these names, and are referenced from there. */
const definitions = z.registry<{ id: string }>();
definitions.add(streamPartSchema, { id: 'stream' });
definitions.add(keyPartSchema, { id: 'key' });
definitions.add(budgetPartSchema, { id: 'budget' });

type Json = { [key: string]: unknown };
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The order a reader expects: what the schema is, then what it allows. Keys not named keep their place after these. */
const KEY_ORDER = [
  '$schema',
  'id',
  'title',
  'description',
  'type',
  'enum',
  'additionalProperties',
  'required',
  'properties',
  'items',
  'minItems',
  'maxItems',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  '$ref',
  'definitions',
];
const rank = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);

/**
 * What zod writes, as a person would: an optional shared part is its `$ref` (zod wraps it in a
 * one-element `allOf`, which says the same), an integer has no upper bound of 2^53 - 1, and a
 * date-time is its `format` (zod adds the pattern it checks with: ISO 8601 in UTC).
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!isJson(node)) return node;
  const { allOf, ...rest } = node;
  if (Array.isArray(allOf) && allOf.length === 1 && Object.keys(rest).length === 0) return tidy(allOf[0]);
  const out: Json = { ...node };
  if (out.type === 'integer' && out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (out.type === 'integer' && out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.format === 'date-time') delete out.pattern;
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([key, value]) => [key, tidy(value)]),
  );
}

/**
 * The JSON Schema document of one event kind's detail, from `schema` (by default its own, in
 * EVENT_DETAIL_SCHEMAS; a test passes a changed copy).
 */
export function eventJsonSchema(kind: EventKind, schema: z.ZodMiniType = EVENT_DETAIL_SCHEMAS[kind]): Json {
  const type = EVENT_TYPES[kind];
  const { $schema, ...generated } = z.toJSONSchema(schema, { target: 'draft-04', metadata: definitions });
  return tidy({
    $schema,
    id: `${SCHEMA_ID_BASE}${type.schema}`,
    title: `${type.detailType} (detail, version ${type.version})`,
    description: z.globalRegistry.get(schema)?.description,
    ...generated,
  }) as Json;
}

/** The text of each schema file, by file name, as committed (two-space JSON and a final newline). */
export function generatedSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(EVENT_TYPES) as EventKind[]).map((kind) => [
      EVENT_TYPES[kind].schema,
      `${JSON.stringify(eventJsonSchema(kind), null, 2)}\n`,
    ]),
  );
}

if (process.argv[1] !== undefined && /local[\\/]generate-schemas\.ts$/.test(process.argv[1])) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const stale: string[] = [];
  for (const [file, text] of Object.entries(generatedSchemaFiles())) {
    const path = new URL(file, SCHEMA_DIR);
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    stale.push(file);
    if (!values.check) writeFileSync(path, text);
  }
  console.log(
    stale.length === 0 ? 'infra/schemas: up to date' : `infra/schemas: ${values.check ? 'out of date' : 'written'}: ${stale.join(', ')}`,
  );
  if (values.check && stale.length > 0) process.exitCode = 1;
}
