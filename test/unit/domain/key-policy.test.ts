import { describe, expect, it } from 'vitest';
import { deniedFirehoseAction, policyStatements } from '../../../functions/domain/key-policy.ts';

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allowRoot = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' };

describe('key policy: "the key policy mustn\'t explicitly deny the permission for Kinesis Data Firehose"', () => {
  it('finds no denial in a default policy', () => {
    expect(deniedFirehoseAction(policy(allowRoot))).toBeUndefined();
  });

  it.each([
    [{ Effect: 'Deny', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:*' }, 'kms:Encrypt'],
    [{ Effect: 'Deny', Principal: { Service: ['logs.amazonaws.com', 'firehose.amazonaws.com'] }, Action: ['kms:Decrypt'] }, 'kms:Decrypt'],
    [{ Effect: 'Deny', Principal: '*', Action: 'kms:GenerateDataKey*' }, 'kms:GenerateDataKey'],
    [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:CreateGr?nt' }, 'kms:CreateGrant'],
    [{ Effect: 'Deny', Principal: { Service: 'firehose.amazonaws.com' }, Action: '*' }, 'kms:Encrypt'],
  ])('finds the explicit Deny %j', (statement, action) => {
    expect(deniedFirehoseAction(policy(allowRoot, statement))).toBe(action);
  });

  it.each([
    [{ Effect: 'Deny', Principal: { Service: 'logs.amazonaws.com' }, Action: 'kms:*' }],
    [{ Effect: 'Deny', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:ScheduleKeyDeletion' }],
    [
      {
        Effect: 'Deny',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'kms:*',
        Condition: { Bool: { 'aws:ViaAWSService': 'false' } },
      },
    ],
    [{ Effect: 'Deny', Principal: 'arn:aws:iam::123456789012:root', Action: 'kms:*' }],
    [{ Effect: 'Allow', Principal: '*', Action: 'kms:*' }],
  ])('does not count %j', (statement) => {
    expect(deniedFirehoseAction(policy(allowRoot, statement))).toBeUndefined();
  });

  it('accepts a single statement object, and refuses text that is not a policy', () => {
    expect(policyStatements(JSON.stringify({ Statement: allowRoot }))).toEqual([allowRoot]);
    expect(() => policyStatements('{}')).toThrow(SyntaxError);
    expect(() => policyStatements('not json')).toThrow(SyntaxError);
  });
});
