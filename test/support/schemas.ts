import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EVENT_TYPES, type EventKind } from '../../functions/domain/events.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
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
