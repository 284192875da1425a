import { describe, expect, it } from 'vitest';
import { InvalidKeyArnError, InvalidStreamNameError } from '../../../functions/domain/errors.ts';
import { arnOf, parseKeyArn, parseStreamArn, parseStreamName, streamKey, streamRef } from '../../../functions/domain/stream-ref.ts';

describe('stream references', () => {
  it('accepts names of 1..64 characters of [a-zA-Z0-9_.-] ("Stream name: 1..64 chars")', () => {
    expect(parseStreamName('a')).toBe('a');
    expect(parseStreamName('A-z_0.9'.padEnd(64, 'x'))).toHaveLength(64);
  });

  it.each(['', 'x'.repeat(65), 'has space', 'slash/x', 'ünïcode', 42, null, undefined])(
    'refuses the name %j with InvalidStreamNameError',
    (name) => {
      expect(() => parseStreamName(name)).toThrow(InvalidStreamNameError);
      expect(() => parseStreamName(name)).toThrow(/expected 1 to 64 characters/);
    },
  );

  it('parses a stream ARN ("arn:<partition>:firehose:<region>:<12 digits>:deliverystream/<name>") and prints it back', () => {
    const ref = parseStreamArn('arn:aws-us-gov:firehose:us-gov-west-1:123456789012:deliverystream/orders');
    expect(ref).toEqual({ account: '123456789012', region: 'us-gov-west-1', name: 'orders', partition: 'aws-us-gov' });
    expect(arnOf(ref)).toBe('arn:aws-us-gov:firehose:us-gov-west-1:123456789012:deliverystream/orders');
    expect(streamKey(ref)).toBe('123456789012/us-gov-west-1/orders');
    expect(arnOf({ account: '123456789012', region: 'us-east-1', name: 'x' })).toBe(
      'arn:aws:firehose:us-east-1:123456789012:deliverystream/x',
    );
  });

  it.each([
    'arn:aws:firehose:us-east-1:1234:deliverystream/x',
    'arn:aws:kinesis:us-east-1:123456789012:stream/x',
    'arn:aws:firehose:us-east-1:123456789012:deliverystream/bad name',
    'orders',
    42,
  ])('refuses the stream ARN %s', (arn) => {
    expect(() => parseStreamArn(arn)).toThrow(InvalidStreamNameError);
  });

  it('checks account and region when building a reference', () => {
    expect(() => streamRef('12345', 'us-east-1', 'x')).toThrow(/account id/);
    expect(() => streamRef('123456789012', 'Mars', 'x')).toThrow(/region/);
    expect(streamRef('123456789012', 'eu-central-1', 'x')).toEqual({
      account: '123456789012',
      region: 'eu-central-1',
      name: 'x',
      partition: 'aws',
    });
  });

  it('accepts KMS key ARNs and refuses alias ARNs ("newer models reject alias ARNs") with a hint', () => {
    expect(parseKeyArn('arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toMatchObject({
      account: '123456789012',
      region: 'us-east-1',
      keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(() => parseKeyArn('arn:aws:kms:us-east-1:123456789012:alias/sse')).toThrow(/alias ARNs are not accepted/);
    expect(() => parseKeyArn('1234abcd')).toThrow(InvalidKeyArnError);
    expect(() => parseKeyArn(undefined)).toThrow(InvalidKeyArnError);
  });
});
