import { AwsServiceError, protocolErrors } from './errors.ts';

/**
 * A small description language for request shapes, enough to answer malformed requests the way an
 * AWS JSON 1.1 service does: a wrong JSON type is a SerializationException; a missing required
 * member or a broken constraint (length, pattern, range, enum) is a ValidationException whose
 * message follows the "N validation errors detected: Value ... at 'path' failed to satisfy
 * constraint: ..." form. Members the model does not know are ignored, as the services do.
 */
export type Shape =
  | { kind: 'string'; min?: number; max?: number; pattern?: RegExp; enum?: readonly string[] }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'blob'; min?: number; max?: number }
  | { kind: 'list'; member: Shape; min?: number; max?: number }
  | { kind: 'structure'; members: Record<string, Shape>; required?: readonly string[] }
  | { kind: 'document' };

export const str = (c: Omit<Extract<Shape, { kind: 'string' }>, 'kind'> = {}): Shape => ({ kind: 'string', ...c });
export const int = (c: Omit<Extract<Shape, { kind: 'integer' }>, 'kind'> = {}): Shape => ({ kind: 'integer', ...c });
export const bool = (): Shape => ({ kind: 'boolean' });
export const blob = (c: Omit<Extract<Shape, { kind: 'blob' }>, 'kind'> = {}): Shape => ({ kind: 'blob', ...c });
export const list = (member: Shape, c: { min?: number; max?: number } = {}): Shape => ({ kind: 'list', member, ...c });
export const struct = (members: Record<string, Shape>, required: readonly string[] = []): Shape => ({
  kind: 'structure',
  members,
  required,
});
/** A member whose inner shape the emulator does not check (destination configurations). */
export const doc = (): Shape => ({ kind: 'document' });

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks `value` against `shape`; throws the AwsServiceError the service would answer with. */
export function validateRequest(shape: Shape, value: unknown): void {
  const violations: string[] = [];
  check(shape, value, '', violations);
  if (violations.length > 0) {
    const count = violations.length === 1 ? '1 validation error detected' : `${violations.length} validation errors detected`;
    throw protocolErrors.validation(`${count}: ${violations.join('; ')}`);
  }
}

function typeError(path: string, expected: string, value: unknown): AwsServiceError {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return protocolErrors.serialization(`Expected ${expected} at '${path || 'request'}' but found ${got}`);
}

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.length > 64 ? `${text.slice(0, 64)}...` : text}'`;
}

function check(shape: Shape, value: unknown, path: string, out: string[]): void {
  const at = (constraint: string): void => {
    out.push(`Value ${describeValue(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  };
  switch (shape.kind) {
    case 'document':
      return;
    case 'string': {
      if (typeof value !== 'string') throw typeError(path, 'string', value);
      if (shape.min !== undefined && value.length < shape.min) at(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) at(`Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern && !shape.pattern.test(value))
        at(`Member must satisfy regular expression pattern: ${shape.pattern.source.replace(/^\^|\$$/g, '')}`);
      if (shape.enum && !shape.enum.includes(value)) at(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(path, 'integer', value);
      if (shape.min !== undefined && value < shape.min) at(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) at(`Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(path, 'boolean', value);
      return;
    case 'blob': {
      if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) {
        throw protocolErrors.serialization(`Expected base64-encoded blob at '${path}'`);
      }
      const bytes = Buffer.byteLength(value, 'base64');
      if (shape.min !== undefined && bytes < shape.min) at(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && bytes > shape.max) at(`Member must have length less than or equal to ${shape.max}`);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw typeError(path, 'list', value);
      if (shape.min !== undefined && value.length < shape.min) at(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) at(`Member must have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => {
        if (item === null) out.push(`Value null at '${path}.${i + 1}.member' failed to satisfy constraint: Member must not be null`);
        else check(shape.member, item, `${path}.${i + 1}.member`, out);
      });
      return;
    }
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(path, 'structure', value);
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (record[name] === undefined || record[name] === null) {
          out.push(`Value null at '${joinPath(path, name)}' failed to satisfy constraint: Member must not be null`);
        }
      }
      for (const [name, member] of Object.entries(shape.members)) {
        const memberValue = record[name];
        if (memberValue !== undefined && memberValue !== null) check(member, memberValue, joinPath(path, name), out);
      }
      return;
    }
  }
}

function joinPath(path: string, member: string): string {
  return path ? `${path}.${lowerFirst(member)}` : lowerFirst(member);
}
