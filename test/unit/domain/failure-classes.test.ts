import { describe, expect, it } from 'vitest';
import * as errors from '../../../functions/domain/errors.ts';
import {
  CALL_FAILURE_CLASSES,
  classifyCallFailure,
  classifyEnableFailure,
  ENABLE_FAILURE_CLASSES,
  isRetryable,
} from '../../../functions/domain/failure-classes.ts';
import { ENCRYPTION_FAILURE_TYPES } from '../../../functions/domain/firehose-facts.ts';

describe('failure classes', () => {
  it('classifies every FailureDescription.Type of the API model', () => {
    expect(Object.keys(ENABLE_FAILURE_CLASSES).sort()).toEqual([...ENCRYPTION_FAILURE_TYPES].sort());
  });

  it.each(['KMS_ACCESS_DENIED', 'DISABLED_KMS_KEY', 'INVALID_KMS_KEY', 'KMS_KEY_NOT_FOUND', 'KMS_OPT_IN_REQUIRED'])(
    '%s is a key problem: retrying the same key would burn budget',
    (type) => expect(classifyEnableFailure(type)).toBe('KEY_PROBLEM'),
  );

  it('grant failures and unknown errors are transient; VPC/ENI problems are configuration', () => {
    expect(classifyEnableFailure('CREATE_KMS_GRANT_FAILED')).toBe('TRANSIENT');
    expect(classifyEnableFailure('UNKNOWN_ERROR')).toBe('TRANSIENT');
    expect(classifyEnableFailure('SOMETHING_NEW_IN_2027')).toBe('TRANSIENT');
    expect(classifyEnableFailure('SUBNET_NOT_FOUND')).toBe('CONFIGURATION');
  });

  it('classifies domain errors by their stable names', () => {
    expect(classifyCallFailure(new errors.StreamGoneError('x'))).toBe('GONE');
    expect(classifyCallFailure(new errors.StreamBusyError('x'))).toBe('BUSY');
    expect(classifyCallFailure(new errors.FirehoseBudgetSpentError('x'))).toBe('BUDGET_SPENT');
    expect(classifyCallFailure(new errors.BudgetExhaustedError('x', 0))).toBe('BUDGET_SPENT');
    expect(classifyCallFailure(new errors.KeyCapacityError('x'))).toBe('KEY_CAPACITY');
    expect(classifyCallFailure(new errors.RateLimitedError('x'))).toBe('RATE_LIMITED');
    expect(classifyCallFailure(new errors.KeyUnusableError('x'))).toBe('KEY_PROBLEM');
    expect(classifyCallFailure(new errors.InvalidRequestError('x'))).toBe('INVALID');
    expect(classifyCallFailure(new errors.InvalidKeyArnError('x'))).toBe('INVALID');
    expect(classifyCallFailure({ name: 'StreamGoneError' })).toBe('GONE');
    expect(classifyCallFailure(new Error('boom'))).toBe('TRANSIENT');
    expect(classifyCallFailure('not even an error')).toBe('TRANSIENT');
  });

  it('every classified name is the name of a domain error class', () => {
    const names = Object.values(errors).map((C) => C.name);
    for (const name of Object.keys(CALL_FAILURE_CLASSES)) expect(names).toContain(name);
  });

  it('retries only what may pass by itself', () => {
    expect(['TRANSIENT', 'RATE_LIMITED', 'BUSY'].every((c) => isRetryable(c as never))).toBe(true);
    expect(['GONE', 'KEY_PROBLEM', 'KEY_CAPACITY', 'BUDGET_SPENT', 'INVALID'].some((c) => isRetryable(c as never))).toBe(false);
  });
});
