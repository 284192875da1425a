import { describe, expect, it } from 'vitest';
import * as errors from '../../../functions/domain/errors.ts';

describe('errors keep their cause (ErrorOptions through every subclass)', () => {
  const cause = new Error('the SDK said so');
  it.each([
    ['StreamGoneError', () => new errors.StreamGoneError('gone', { cause })],
    ['TransientServiceError', () => new errors.TransientServiceError('5xx', { cause })],
    ['MalformedEventError', () => new errors.MalformedEventError('bad', undefined, { cause })],
    ['InvalidConfigurationError', () => new errors.InvalidConfigurationError('bad', ['bad'], { cause })],
    ['BudgetExhaustedError', () => new errors.BudgetExhaustedError('spent', 0, { cause })],
    ['LeaseHeldError', () => new errors.LeaseHeldError('held', 'x', 0, undefined, { cause })],
    ['EventPublishError', () => new errors.EventPublishError('refused', [], [], { cause })],
  ] as const)('%s', (name, make) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error.cause).toBe(cause);
  });
});
