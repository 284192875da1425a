import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { EVENT_TYPES, type EventKind } from '../../functions/domain/events.ts';

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
