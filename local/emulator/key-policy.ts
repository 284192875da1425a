/**
 * Just enough key-policy evaluation to answer one question: does this policy explicitly deny
 * Firehose the KMS actions that SSE needs? ("The key policy mustn't explicitly deny the permission
 * for Kinesis Data Firehose to invoke KMS encrypt and decrypt operations.")
 *
 * A Deny statement counts when its principal covers the Firehose service (`*`, `{"AWS": "*"}` or
 * `{"Service": "firehose.amazonaws.com"}`) and one of its actions matches an action Firehose needs.
 * Statements with a Condition are not evaluated: their outcome depends on request context the
 * emulator does not model, so they never deny here.
 */
const FIREHOSE_PRINCIPAL = 'firehose.amazonaws.com';
const ACTIONS_FIREHOSE_NEEDS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant'];

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

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: unknown;
}

function statements(policy: string): Statement[] {
  const parsed = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  const raw = parsed.Statement ?? [];
  return Array.isArray(raw) ? raw : [raw];
}

/** Throws when the text is not a JSON policy document with statements. */
export function parsePolicy(policy: string): void {
  const parsed: unknown = JSON.parse(policy);
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
    throw new SyntaxError('a key policy needs a Statement');
  }
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function coversFirehose(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as { AWS?: unknown; Service?: unknown };
  return asList(p.AWS).includes('*') || asList(p.Service).includes(FIREHOSE_PRINCIPAL);
}

function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

/** The first action Firehose needs that the policy explicitly denies it, if any. */
export function deniedFirehoseAction(policy: string): string | undefined {
  for (const s of statements(policy)) {
    if (s.Effect !== 'Deny' || s.Condition !== undefined || !coversFirehose(s.Principal)) continue;
    const patterns = asList(s.Action).filter((a): a is string => typeof a === 'string');
    const denied = ACTIONS_FIREHOSE_NEEDS.find((action) => patterns.some((p) => actionMatches(p, action)));
    if (denied) return denied;
  }
  return undefined;
}

/** The policy with a statement that denies Firehose encrypt and decrypt added, or removed. */
export function withFirehoseDenied(policy: string, deny: boolean): string {
  const parsed = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  const kept = statements(policy).filter((s) => s.Sid !== DENY_FIREHOSE_SID);
  if (deny) {
    kept.push({
      Sid: DENY_FIREHOSE_SID,
      Effect: 'Deny',
      Principal: { Service: FIREHOSE_PRINCIPAL },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:CreateGrant'],
    });
  }
  return JSON.stringify({ ...parsed, Statement: kept });
}
