import {
  FirehoseBudgetSpentError,
  InvalidRequestError,
  KeyCapacityError,
  KeyUnusableError,
  RateLimitedError,
  StreamBusyError,
  StreamGoneError,
  TransientServiceError,
  type ServiceCallError,
} from '../domain/errors.ts';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

type ErrorClass = new (message: string, options?: { cause?: unknown }) => ServiceCallError;

/** Firehose's modelled errors (and the protocol's) and the domain error each becomes. */
const BY_NAME: Record<string, ErrorClass> = {
  ResourceNotFoundException: StreamGoneError,
  ResourceInUseException: StreamBusyError,
  InvalidArgumentException: InvalidRequestError,
  ValidationException: InvalidRequestError,
  AccessDeniedException: InvalidRequestError,
  UnrecognizedClientException: InvalidRequestError,
  InvalidKMSResourceException: KeyUnusableError,
  ThrottlingException: RateLimitedError,
  TooManyRequestsException: RateLimitedError,
};

/**
 * LimitExceededException means three things on Start/Stop; the message tells them apart. Patterns
 * are deliberately loose (AWS does not document the texts). An unrecognised LimitExceeded on Start
 * is taken as the spent budget: the one reading that never leads to a blind retry.
 */
const LIMIT_MEANINGS: readonly [RegExp, ErrorClass][] = [
  [/rate|throttl|per second|too many requests/i, RateLimitedError],
  [/\b500\b|already used|(cmk|kms key|customer managed key).*(limit|streams)/i, KeyCapacityError],
  [/24 hours|per day|calls? (limit|per)|start.*stop/i, FirehoseBudgetSpentError],
];

const ENCRYPTION_OPERATIONS = new Set(['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption']);

function errorClass(e: SdkError, operation: string): ErrorClass {
  if (e.name === 'LimitExceededException') {
    // On reads, LimitExceeded can only be the control-plane rate limit.
    if (!ENCRYPTION_OPERATIONS.has(operation)) return RateLimitedError;
    return LIMIT_MEANINGS.find(([pattern]) => pattern.test(e.message ?? ''))?.[1] ?? FirehoseBudgetSpentError;
  }
  const byName = e.name ? BY_NAME[e.name] : undefined;
  if (byName) return byName;
  return e.$metadata?.httpStatusCode === 429 ? RateLimitedError : TransientServiceError;
}

/** Turns an SDK error from a Firehose call into the domain's error, keeping the original as `cause`. */
export function firehoseError(error: unknown, operation: string, subject: string): ServiceCallError {
  const e = (error ?? {}) as SdkError;
  const ErrorType = errorClass(e, operation);
  const domainError = new ErrorType(`${operation} ${subject}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`, { cause: error });
  const status = e.$metadata?.httpStatusCode;
  if (domainError instanceof TransientServiceError && status !== undefined && status >= 400 && status < 500)
    domainError.outcomeUnknown = false;
  return domainError;
}
