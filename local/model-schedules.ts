import fc from 'fast-check';

/**
 * What a schedule of the model-based attack is made of (local/model-check.ts runs them): what people,
 * AWS and failures do to a few streams of the local account, and fast-check's generator of schedules.
 */
export type KeyChoice = 'approved' | 'unapproved' | 'awsOwned';
export type Step = 'inspect' | 'enable' | 'check' | 'conclude';
export type Command =
  | { kind: 'create'; stream: number }
  | { kind: 'delete'; stream: number }
  | { kind: 'personStart'; stream: number; key: KeyChoice }
  | { kind: 'personStop'; stream: number }
  | { kind: 'tagExempt'; stream: number }
  | { kind: 'untag'; stream: number }
  | { kind: 'disableKey'; key: 'approved' | 'unapproved' }
  | { kind: 'enableKey'; key: 'approved' | 'unapproved' }
  | {
      kind: 'firehoseFault';
      operation: 'DescribeDeliveryStream' | 'ListTagsForDeliveryStream' | 'StartDeliveryStreamEncryption';
      error: FirehoseFault;
      count: number;
    }
  | { kind: 'enablementFailure'; type: 'CREATE_KMS_GRANT_FAILED' | 'KMS_ACCESS_DENIED' | 'UNKNOWN_ERROR' }
  | { kind: 'dynamoFault'; count: number }
  | { kind: 'publishFault'; count: number }
  | { kind: 'crash'; step: Step; when: 'before' | 'after' }
  | { kind: 'delivery'; fate: 'lose' | 'delay' | 'duplicate' }
  | { kind: 'advance'; seconds: number }
  | { kind: 'drain' };

type FirehoseFault = 'ServiceUnavailableException' | 'LimitExceededException' | 'AccessDeniedException' | 'ResourceInUseException';

export const STREAMS_PER_SCHEDULE = 2;

/** Schedules of 1 to `max` commands; every schedule starts by creating its first stream. */
export function scheduleArbitrary(max = 12): fc.Arbitrary<Command[]> {
  const stream = fc.integer({ min: 0, max: STREAMS_PER_SCHEDULE - 1 });
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 3, arbitrary: stream.map((s) => ({ kind: 'create' as const, stream: s })) },
    { weight: 1, arbitrary: stream.map((s) => ({ kind: 'delete' as const, stream: s })) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('personStart' as const),
        stream,
        key: fc.constantFrom<KeyChoice>('approved', 'unapproved', 'awsOwned'),
      }),
    },
    { weight: 3, arbitrary: stream.map((s) => ({ kind: 'personStop' as const, stream: s })) },
    { weight: 1, arbitrary: stream.map((s) => ({ kind: 'tagExempt' as const, stream: s })) },
    { weight: 1, arbitrary: stream.map((s) => ({ kind: 'untag' as const, stream: s })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('approved' as const, 'unapproved' as const).map((key) => ({ kind: 'disableKey' as const, key })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('approved' as const, 'unapproved' as const).map((key) => ({ kind: 'enableKey' as const, key })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('firehoseFault' as const),
        operation: fc.constantFrom(
          'DescribeDeliveryStream' as const,
          'ListTagsForDeliveryStream' as const,
          'StartDeliveryStreamEncryption' as const,
        ),
        error: fc.constantFrom<FirehoseFault>(
          'ServiceUnavailableException',
          'LimitExceededException',
          'AccessDeniedException',
          'ResourceInUseException',
        ),
        count: fc.constantFrom(1, 3, 20),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('CREATE_KMS_GRANT_FAILED' as const, 'KMS_ACCESS_DENIED' as const, 'UNKNOWN_ERROR' as const)
        .map((type) => ({ kind: 'enablementFailure' as const, type })),
    },
    { weight: 1, arbitrary: fc.constantFrom(1, 3, 30).map((count) => ({ kind: 'dynamoFault' as const, count })) },
    { weight: 1, arbitrary: fc.constantFrom(1, 3, 30).map((count) => ({ kind: 'publishFault' as const, count })) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('crash' as const),
        step: fc.constantFrom<Step>('inspect', 'enable', 'check', 'conclude'),
        when: fc.constantFrom('before' as const, 'after' as const),
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom('lose' as const, 'delay' as const, 'duplicate' as const)
        .map((fate) => ({ kind: 'delivery' as const, fate })),
    },
    { weight: 3, arbitrary: fc.constantFrom(1, 3, 5, 30, 300, 3_600).map((seconds) => ({ kind: 'advance' as const, seconds })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'drain' as const }) },
  );
  return fc.array(command, { minLength: 0, maxLength: max - 1 }).map((rest) => [{ kind: 'create', stream: 0 }, ...rest]);
}
