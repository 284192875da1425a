import { describe, expect, it } from 'vitest';
import * as errors from '../../../functions/domain/errors.ts';

describe('domain errors', () => {
  it('every concrete error sets a stable name equal to its class name (the state machine matches on it)', () => {
    const concrete = Object.entries(errors).filter(([name]) => !['GuardError', 'ServiceCallError', 'LedgerError'].includes(name));
    for (const [className, ErrorClass] of concrete) {
      const instance = new (ErrorClass as unknown as new (...args: unknown[]) => Error)('message', 0, 0);
      expect(instance.name, className).toBe(className);
      expect(instance).toBeInstanceOf(errors.GuardError);
      expect(instance.message).toBe('message');
    }
  });

  it('keeps the cause', () => {
    const cause = new Error('sdk');
    expect(new errors.TransientServiceError('wrapped', { cause }).cause).toBe(cause);
  });

  it('carries the details each error is for', () => {
    expect(new errors.InvalidInputError('bad').problems).toEqual(['bad']);
    expect(new errors.InvalidConfigurationError('bad', ['a', 'b']).problems).toEqual(['a', 'b']);
    expect(new errors.BudgetExhaustedError('spent', 42).nextAvailableAt).toBe(42);
    expect(new errors.LeaseHeldError('held', 'exec-1', 7)).toMatchObject({ holder: 'exec-1', expiresAt: 7 });
    expect(new errors.EventPublishError('lost', [{ detailType: 'Budget Low', errorCode: 'X' }]).failedEntries).toHaveLength(1);
  });
});
