/**
 * The remediator's errors. Each area has one base class; every leaf ends in `Error`, sets a stable
 * `name` (the state machine's Retry and Catch match on it), and keeps `cause`.
 */
export abstract class GuardError extends Error {
  abstract override readonly name: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Input refused before any AWS call: stream names, key ARNs, events, configuration. */
export class InvalidInputError extends GuardError {
  override readonly name: string = 'InvalidInputError';

  constructor(
    message: string,
    /** Every problem found, one line each. */
    readonly problems: readonly string[] = [message],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class InvalidConfigurationError extends InvalidInputError {
  override readonly name = 'InvalidConfigurationError';
}

export class InvalidStreamNameError extends InvalidInputError {
  override readonly name = 'InvalidStreamNameError';
}

export class InvalidKeyArnError extends InvalidInputError {
  override readonly name = 'InvalidKeyArnError';
}

export class MalformedEventError extends InvalidInputError {
  override readonly name = 'MalformedEventError';
}

/** A Firehose or KMS call that failed, in domain terms. */
export abstract class ServiceCallError extends GuardError {}

/** The stream does not exist (any more). */
export class StreamGoneError extends ServiceCallError {
  override readonly name = 'StreamGoneError';
}

/** The stream, or its encryption, is in transition (ResourceInUseException): look again later. */
export class StreamBusyError extends ServiceCallError {
  override readonly name = 'StreamBusyError';
}

/** Firehose refused a Start/Stop: the stream's 25 calls per 24 hours are spent. Never retried blindly. */
export class FirehoseBudgetSpentError extends ServiceCallError {
  override readonly name = 'FirehoseBudgetSpentError';
}

/** The customer managed key already encrypts 500 streams. Retrying with the same key cannot help. */
export class KeyCapacityError extends ServiceCallError {
  override readonly name = 'KeyCapacityError';
}

/** The control-plane rate limit, or any other throttling: retry with backoff. */
export class RateLimitedError extends ServiceCallError {
  override readonly name = 'RateLimitedError';
}

/** KMS refused the key (InvalidKMSResourceException): a key problem, not a transient one. */
export class KeyUnusableError extends ServiceCallError {
  override readonly name = 'KeyUnusableError';
}

/** Firehose refused the arguments (InvalidArgumentException): a bug or a stream that is not DirectPut. */
export class InvalidRequestError extends ServiceCallError {
  override readonly name = 'InvalidRequestError';
}

/** A failure that may pass: 5xx, timeouts, network, or an unmodelled 4xx. */
export class TransientServiceError extends ServiceCallError {
  override readonly name = 'TransientServiceError';
  /**
   * Whether the call may have been carried out anyway (a 5xx, a timeout, a lost connection). An error
   * response in the 4xx range is a refusal: the call was not carried out.
   */
  outcomeUnknown = true;
}

/** The budget ledger and leases. */
export abstract class LedgerError extends GuardError {}

/** The ledger refused to reserve a call: the stream's total or our share is spent until `nextAvailableAt`. */
export class BudgetExhaustedError extends LedgerError {
  override readonly name = 'BudgetExhaustedError';

  constructor(
    message: string,
    readonly nextAvailableAt: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Too many concurrent writers on one stream's ledger; the reservation was not made. */
export class LedgerContentionError extends LedgerError {
  override readonly name = 'LedgerContentionError';
}

/** Another workflow holds the stream's lease. */
export class LeaseHeldError extends LedgerError {
  override readonly name = 'LeaseHeldError';

  constructor(
    message: string,
    readonly holder: string,
    readonly expiresAt: number,
    /** When the holder took the lease (epoch ms), when known. */
    readonly takenAt?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Events that EventBridge did not accept after every retry. Nothing is dropped silently. */
export class EventPublishError extends GuardError {
  override readonly name = 'EventPublishError';

  constructor(
    message: string,
    readonly failedEntries: readonly { detailType: string; errorCode?: string; errorMessage?: string }[],
    /** The detail types that were delivered before the failure (none unless the publisher says so). */
    readonly delivered: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
