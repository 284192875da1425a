/**
 * The shapes that cross from one use case to another through a port (a workflow's input, a sweep's
 * cursor), as zod schemas with their types inferred from them; the enums they, the remediation state
 * and the published events share; and `readShape`, which reads any input from outside by its schema.
 * Imports no use case, so ports.ts depends on none.
 */
import * as z from 'zod/mini';
import type { RemediationReason, Verdict } from './decision.ts';
import { MalformedEventError } from './errors.ts';
import { DEFERRED_REASONS, FAILED_REASONS, TRIGGERS } from './events.ts';
import { ENCRYPTION_STATUSES, KEY_TYPES } from './firehose-facts.ts';

/** A value quoted in a reason is cut to this many characters (a 200 KB stream name is quoted by its start). */
export const MAX_QUOTED_CHARS = 100;

/** Cuts a quoted value (JSON text) to MAX_QUOTED_CHARS, with an ellipsis and its full length. */
export function cutQuoted(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  return `${text.slice(0, MAX_QUOTED_CHARS)}…${text.startsWith('"') ? '"' : ''} (${text.length} characters)`;
}

/**
 * A value as a reason quotes it: its JSON, cut to MAX_QUOTED_CHARS with an ellipsis and its full
 * length, so that a huge invalid value never makes a huge reason.
 *
 * @example
 * quote('orders'); // '"orders"'
 * quote('x'.repeat(200_000)); // the opening quote, 99 x, then '…" (200002 characters)'
 */
export function quote(value: unknown): string {
  // JSON has no NaN or Infinity (it writes null), nor undefined.
  return cutQuoted(typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)));
}

/** `"a"`, or `one of "a", "b"`. */
const oneOf = (values: readonly unknown[]): string => (values.length === 1 ? quote(values[0]) : `one of ${values.map(quote).join(', ')}`);

const EXPECTED: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  int: 'an integer',
  never: 'absent',
  nonoptional: 'present',
};

/**
 * What is wrong with a field, worded to follow its path ("must be a string, got 42"). A schema's own
 * message, where it has one, comes first; this words the rest, quoting values within bounds.
 */
function wordIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}, got ${quote(issue.input)}`;
    case 'invalid_value':
      return `must be ${oneOf(issue.values)}, got ${quote(issue.input)}`;
    case 'unrecognized_keys':
      return `has unknown fields ${quote(issue.keys)}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      const size = typeof issue.input === 'string' || Array.isArray(issue.input) ? issue.input.length : quote(issue.input);
      return `must be ${bound}${unit}, got ${size}`;
    }
    case 'invalid_union': {
      const options: unknown = 'options' in issue ? issue.options : undefined;
      return issue.discriminator !== undefined && Array.isArray(options)
        ? `must be ${oneOf(options)}, got ${quote(fieldOf(issue.input, issue.discriminator))}`
        : `matches none of its shapes: ${quote(issue.input)}`;
    }
    case 'invalid_format':
      return `is not ${issue.format === 'regex' ? `of the form ${issue.pattern ?? ''}` : `a ${issue.format}`}: ${quote(issue.input)}`;
    default:
      return undefined;
  }
}

const fieldOf = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;

/** `detail.stream.name`, `nonCompliant[3].reason`. */
const pathOf = (path: readonly PropertyKey[]): string =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');

/**
 * Reads an input from outside (an event, a task's input, a cursor) by its schema, or refuses it with
 * a MalformedEventError that names every problem by its field's path, values quoted within bounds.
 *
 * @example
 * readShape(sweepCursorSchema, { sweepId: 's-1' }, 'sweep cursor');
 * // MalformedEventError: sweep cursor: account must be a string, got undefined; regions must be an array, got undefined; …
 */
export function readShape<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input, { error: wordIssue });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => (issue.path.length > 0 ? `${pathOf(issue.path)} ${issue.message}` : issue.message));
  throw new MalformedEventError(`${what}: ${problems.join('; ')}`, problems, { cause: result.error });
}

// Each object literal below names every member of its domain union once: a member added to the
// union, or one listed here that it lacks, is a compile error.
export const verdictSchema = z.enum({
  COMPLIANT: 'COMPLIANT',
  NOT_APPLICABLE: 'NOT_APPLICABLE',
  EXEMPT: 'EXEMPT',
  GONE: 'GONE',
  BUSY: 'BUSY',
  REMEDIATE: 'REMEDIATE',
} satisfies { [V in Verdict]: V });
export const remediationReasonSchema = z.enum({
  ENCRYPTION_DISABLED: 'ENCRYPTION_DISABLED',
  ENABLING_FAILED: 'ENABLING_FAILED',
  DISABLING_FAILED: 'DISABLING_FAILED',
  KEY_NOT_APPROVED: 'KEY_NOT_APPROVED',
} satisfies { [R in RemediationReason]: R });
export const keyTypeSchema = z.enum(KEY_TYPES);
export const encryptionStatusSchema = z.enum(ENCRYPTION_STATUSES);
export const triggerSchema = z.enum(TRIGGERS);
export const deferredReasonSchema = z.enum(DEFERRED_REASONS);
export const failedReasonSchema = z.enum(FAILED_REASONS);

/** A count of things: 0, 1, 2, … */
export const countSchema = z.int().check(z.minimum(0));

/** What a sweep found, per verdict, and how many streams it looked at. */
export const verdictTotalsSchema = z.strictObject({
  COMPLIANT: countSchema,
  NOT_APPLICABLE: countSchema,
  EXEMPT: countSchema,
  GONE: countSchema,
  BUSY: countSchema,
  REMEDIATE: countSchema,
  streams: countSchema,
} satisfies { [V in Verdict | 'streams']: typeof countSchema });

/** A stream the sweep found non-compliant, and why. */
export const nonCompliantStreamSchema = z.strictObject({ name: z.string(), region: z.string(), reason: z.string() });

/** The stream a workflow works on, as its input and state carry it (stream-ref checks each part). */
export const streamPlaceSchema = z.object({ account: z.string(), region: z.string(), name: z.string() });

/** The input that starts an execution: which stream, why, since when. */
export const workflowInputSchema = z.object({
  stream: streamPlaceSchema,
  trigger: triggerSchema,
  /** Epoch ms when the problem was first seen. */
  detectedAt: z.optional(z.number({ error: (issue) => `must be epoch milliseconds, got ${quote(issue.input)}` })),
  /** The execution's name. */
  correlationId: z
    .string({ error: (issue) => `must be 1 to 80 characters (the execution name), got ${quote(issue.input)}` })
    .check(z.minLength(1), z.maxLength(80)),
});
export type WorkflowInput = z.infer<typeof workflowInputSchema>;

export type SweepTotals = z.infer<typeof verdictTotalsSchema>;

/** Where a sweep is; handed from one invocation to the next when time runs short. */
export const sweepCursorSchema = z.object({
  sweepId: z.string().check(z.minLength(1)),
  account: z.string().check(z.minLength(1)),
  regions: z.array(z.string()),
  regionIndex: countSchema,
  /** The last stream name done in the current region. */
  startAfter: z.optional(z.string()),
  startedAt: z.number(),
  invocations: countSchema,
  totals: verdictTotalsSchema,
  nonCompliant: z.array(nonCompliantStreamSchema),
  truncated: z.boolean(),
  workflowsStarted: countSchema,
  alreadyRunning: countSchema,
});
export type SweepCursor = z.infer<typeof sweepCursorSchema>;
