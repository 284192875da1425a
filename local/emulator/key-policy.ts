/**
 * The emulator's own reading of key policies, written from the reference ("The CMK must be enabled and
 * the key policy mustn't explicitly deny the permission for Kinesis Data Firehose to invoke KMS encrypt
 * and decrypt operations") and IAM's policy grammar. It shares no code with the remediator's pre-flight
 * check (functions/domain/key-policy.ts): one oracle on both sides would let a bug pass every test.
 */
const FIREHOSE = 'firehose.amazonaws.com';
/** What Firehose asks KMS for when it encrypts a stream. */
const FIREHOSE_KMS_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant'];

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

function statementsOf(policy: string): Statement[] {
  const document = JSON.parse(policy) as { Statement?: unknown };
  if (typeof document !== 'object' || document === null || document.Statement === undefined)
    throw new SyntaxError('the policy has no Statement');
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (!statements.every((st) => typeof st === 'object' && st !== null)) throw new SyntaxError('every Statement must be an object');
  return statements as Statement[];
}

const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');

/** IAM action wildcards: `*` any run, `?` one character, case-insensitive. */
function wildcard(pattern: string, action: string): boolean {
  let regex = '^';
  for (const ch of pattern) regex += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${regex}$`, 'i').test(action);
}

function namesFirehose(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const { AWS, Service } = principal as { AWS?: unknown; Service?: unknown };
  return strings(AWS).includes('*') || strings(Service).some((s) => s.toLowerCase() === FIREHOSE);
}

/** The KMS action Firehose needs that the policy explicitly and unconditionally denies it, if any. */
export function deniedFirehoseAction(policy: string): string | undefined {
  for (const statement of statementsOf(policy)) {
    if (statement.Effect !== 'Deny' || statement.Condition !== undefined) continue;
    const applies = statement.NotPrincipal !== undefined ? !namesFirehose(statement.NotPrincipal) : namesFirehose(statement.Principal);
    if (!applies) continue;
    const denied = FIREHOSE_KMS_ACTIONS.find((action) =>
      statement.NotAction !== undefined
        ? !strings(statement.NotAction).some((p) => wildcard(p, action))
        : strings(statement.Action).some((p) => wildcard(p, action)),
    );
    if (denied) return denied;
  }
  return undefined;
}

export const DENY_FIREHOSE_SID = 'EmulatorDenyFirehose';

export function defaultKeyPolicy(account: string, partition = 'aws'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

/** Throws when the text is not a JSON policy document with statements. */
export function parsePolicy(policy: string): void {
  statementsOf(policy);
}

/** The policy with a statement that denies Firehose encrypt and decrypt added, or removed. */
export function withFirehoseDenied(policy: string, deny: boolean): string {
  const parsed = JSON.parse(policy) as object;
  const kept = statementsOf(policy).filter((s) => s.Sid !== DENY_FIREHOSE_SID);
  if (deny) {
    kept.push({
      Sid: DENY_FIREHOSE_SID,
      Effect: 'Deny',
      Principal: { Service: FIREHOSE },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
    });
  }
  return JSON.stringify({ ...parsed, Statement: kept });
}
