import type { EncryptionFailureType } from './firehose-facts.ts';

/**
 * What an ENABLING_FAILED `FailureDescription.Type` means for the next step:
 * - KEY_PROBLEM: the key cannot work as it is; retrying it burns budget for nothing. Try the next
 *   approved key or the fallback, else fail.
 * - TRANSIENT: worth another attempt with the same key, with backoff, while budget allows.
 * - CONFIGURATION: the stream's network setup (VPC, ENI, subnet, security group) is broken;
 *   retrying will not help until a person fixes it.
 */
export type EnableFailureClass = 'KEY_PROBLEM' | 'TRANSIENT' | 'CONFIGURATION';

export const ENABLE_FAILURE_CLASSES = {
  KMS_ACCESS_DENIED: 'KEY_PROBLEM',
  DISABLED_KMS_KEY: 'KEY_PROBLEM',
  INVALID_KMS_KEY: 'KEY_PROBLEM',
  KMS_KEY_NOT_FOUND: 'KEY_PROBLEM',
  KMS_OPT_IN_REQUIRED: 'KEY_PROBLEM',
  // Grants are created only with credentials at most 6 hours old: a fresh attempt can succeed.
  CREATE_KMS_GRANT_FAILED: 'TRANSIENT',
  RETIRE_KMS_GRANT_FAILED: 'TRANSIENT',
  UNKNOWN_ERROR: 'TRANSIENT',
  VPC_ENDPOINT_SERVICE_NAME_NOT_FOUND: 'CONFIGURATION',
  VPC_INTERFACE_ENDPOINT_SERVICE_ACCESS_DENIED: 'CONFIGURATION',
  CREATE_ENI_FAILED: 'CONFIGURATION',
  DELETE_ENI_FAILED: 'CONFIGURATION',
  SUBNET_NOT_FOUND: 'CONFIGURATION',
  SECURITY_GROUP_NOT_FOUND: 'CONFIGURATION',
  ENI_ACCESS_DENIED: 'CONFIGURATION',
  SUBNET_ACCESS_DENIED: 'CONFIGURATION',
  SECURITY_GROUP_ACCESS_DENIED: 'CONFIGURATION',
} as const satisfies Record<EncryptionFailureType, EnableFailureClass>;

/** Classifies an ENABLING_FAILED type; a type this version does not know is treated as transient. */
export function classifyEnableFailure(type: string): EnableFailureClass {
  return (ENABLE_FAILURE_CLASSES as Record<string, EnableFailureClass>)[type] ?? 'TRANSIENT';
}

/** What a failed API call means for the workflow. */
export type CallFailureClass = 'TRANSIENT' | 'RATE_LIMITED' | 'BUSY' | 'GONE' | 'KEY_PROBLEM' | 'KEY_CAPACITY' | 'BUDGET_SPENT' | 'INVALID';

/** Domain error names (stable: the state machine matches them) and the class each belongs to. */
export const CALL_FAILURE_CLASSES = {
  TransientServiceError: 'TRANSIENT',
  RateLimitedError: 'RATE_LIMITED',
  StreamBusyError: 'BUSY',
  StreamGoneError: 'GONE',
  KeyUnusableError: 'KEY_PROBLEM',
  KeyCapacityError: 'KEY_CAPACITY',
  FirehoseBudgetSpentError: 'BUDGET_SPENT',
  BudgetExhaustedError: 'BUDGET_SPENT',
  InvalidRequestError: 'INVALID',
  InvalidInputError: 'INVALID',
  InvalidStreamNameError: 'INVALID',
  InvalidKeyArnError: 'INVALID',
} as const satisfies Record<string, CallFailureClass>;

/** Classifies any error by its name; unknown errors are transient (bounded retries decide). */
export function classifyCallFailure(error: unknown): CallFailureClass {
  const name =
    error instanceof Error ? error.name : typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name) : '';
  return (CALL_FAILURE_CLASSES as Record<string, CallFailureClass>)[name] ?? 'TRANSIENT';
}

/** Whether the same call may be tried again later with the same arguments. */
export const isRetryable = (klass: CallFailureClass): boolean => klass === 'TRANSIENT' || klass === 'RATE_LIMITED' || klass === 'BUSY';
