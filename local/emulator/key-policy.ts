import { FIREHOSE_SERVICE_PRINCIPAL, policyStatements } from '../../functions/domain/key-policy.ts';

export { deniedFirehoseAction } from '../../functions/domain/key-policy.ts';

export const DENY_FIREHOSE_SID = 'EmulatorDenyFirehose';

export function defaultKeyPolicy(account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

/** Throws when the text is not a JSON policy document with statements. */
export function parsePolicy(policy: string): void {
  policyStatements(policy);
}

/** The policy with a statement that denies Firehose encrypt and decrypt added, or removed. */
export function withFirehoseDenied(policy: string, deny: boolean): string {
  const parsed = JSON.parse(policy) as object;
  const kept = policyStatements(policy).filter((s) => s.Sid !== DENY_FIREHOSE_SID);
  if (deny) {
    kept.push({
      Sid: DENY_FIREHOSE_SID,
      Effect: 'Deny',
      Principal: { Service: FIREHOSE_SERVICE_PRINCIPAL },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
    });
  }
  return JSON.stringify({ ...parsed, Statement: kept });
}
