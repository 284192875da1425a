import { describe, expect, it } from 'vitest';
import { deniedFirehoseAction, withFirehoseDenied, defaultKeyPolicy } from '../../local/emulator/key-policy.ts';

/** "the key policy mustn't explicitly deny the permission for Kinesis Data Firehose to invoke KMS encrypt and decrypt operations" */
describe("the emulator's own reading of key policies (it shares nothing with the remediator's check)", () => {
  const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
  it.each([
    [
      'a Deny of kms:Decrypt to the Firehose service',
      policy({ Effect: 'Deny', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' }),
      'kms:Decrypt',
    ],
    ['a Deny of kms:* to everyone', policy({ Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }), 'kms:Encrypt'],
    [
      'a Deny with ? wildcards, any case',
      policy({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['KMS:Encryp?'], Resource: '*' }),
      'kms:Encrypt',
    ],
    [
      'a Deny of everything but kms:Describe* (NotAction)',
      policy({ Effect: 'Deny', Principal: '*', NotAction: 'kms:Describe*', Resource: '*' }),
      'kms:Encrypt',
    ],
    [
      'a Deny to everyone but Firehose (NotPrincipal)',
      policy({ Effect: 'Deny', NotPrincipal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:*', Resource: '*' }),
      undefined,
    ],
    [
      'a conditional Deny (its outcome depends on the request)',
      policy({ Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      undefined,
    ],
    [
      'a Deny of other actions only',
      policy({ Effect: 'Deny', Principal: '*', Action: ['kms:ScheduleKeyDeletion'], Resource: '*' }),
      undefined,
    ],
    ['the default policy', defaultKeyPolicy('123456789012'), undefined],
  ])('%s', (_what, text, denied) => {
    expect(deniedFirehoseAction(text)).toBe(denied);
  });

  it('adds and removes its own Deny statement, keeping the others', () => {
    const denied = withFirehoseDenied(defaultKeyPolicy('123456789012'), true);
    expect(deniedFirehoseAction(denied)).toBe('kms:Encrypt');
    expect(deniedFirehoseAction(withFirehoseDenied(denied, false))).toBeUndefined();
    expect(() => deniedFirehoseAction('{"Version":"2012-10-17"}')).toThrow(SyntaxError);
  });
});
