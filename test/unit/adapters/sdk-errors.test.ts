import { describe, expect, it } from 'vitest';
import { firehoseError } from '../../../functions/adapters/sdk-errors.ts';

const sdkError = (name: string, message = '', status?: number) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('Firehose SDK errors in domain terms', () => {
  it.each([
    // The three meanings of LimitExceededException on Start/Stop (firehose-facts.md).
    [
      'LimitExceededException',
      'Firehose stream x has exceeded the limit of 25 StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours.',
      'FirehoseBudgetSpentError',
    ],
    ['LimitExceededException', 'The customer managed key arn:... is already used to encrypt 500 Firehose streams', 'KeyCapacityError'],
    ['LimitExceededException', 'Rate exceeded', 'RateLimitedError'],
    // Unrecognised: read as the budget, the only reading that is never retried blindly.
    ['LimitExceededException', 'Limit exceeded.', 'FirehoseBudgetSpentError'],
    ['ResourceInUseException', '', 'StreamBusyError'],
    ['ResourceNotFoundException', '', 'StreamGoneError'],
    ['InvalidArgumentException', '', 'InvalidRequestError'],
    ['InvalidKMSResourceException', '', 'KeyUnusableError'],
    ['AccessDeniedException', '', 'InvalidRequestError'],
    ['ThrottlingException', '', 'RateLimitedError'],
    ['ServiceUnavailableException', '', 'TransientServiceError'],
    ['TimeoutError', '', 'TransientServiceError'],
  ])('%s "%s" on Start is %s', (name, message, expected) => {
    const mapped = firehoseError(sdkError(name, message), 'StartDeliveryStreamEncryption', 'orders');
    expect(mapped.name).toBe(expected);
    expect(mapped.message).toContain('StartDeliveryStreamEncryption orders');
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it('on a read, LimitExceededException can only be the rate limit', () => {
    expect(firehoseError(sdkError('LimitExceededException', '24 hours'), 'DescribeDeliveryStream', 'x').name).toBe('RateLimitedError');
  });

  it('an unnamed HTTP 429 is throttling; anything else unknown is transient', () => {
    expect(firehoseError(sdkError('Unknown', '', 429), 'ListDeliveryStreams', 'x').name).toBe('RateLimitedError');
    expect(firehoseError('socket hang up', 'ListDeliveryStreams', 'x').name).toBe('TransientServiceError');
  });
});
