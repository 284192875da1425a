/**
 * Does a key policy explicitly deny Firehose what SSE needs? ("The key policy mustn't explicitly deny
 * the permission for Kinesis Data Firehose to invoke KMS encrypt and decrypt operations.")
 *
 * A Deny statement counts when its principal covers the Firehose service (`*`, `{"AWS": "*"}` or
 * `{"Service": "firehose.amazonaws.com"}`) and one of its actions matches an action Firehose needs.
 * Statements with a Condition are not judged: their outcome depends on request context, so they
 * never count as a denial here (Firehose has the last word).
 */
import { globRegExp } from './glob.ts';

export const FIREHOSE_SERVICE_PRINCIPAL = 'firehose.amazonaws.com';
export const ACTIONS_FIREHOSE_NEEDS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant'] as const;

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: unknown;
}

/** The statements of a policy document; throws SyntaxError when it is not one. */
export function policyStatements(policy: string): PolicyStatement[] {
  const parsed: unknown = JSON.parse(policy);
  if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) throw new SyntaxError('a key policy needs a Statement');
  const raw = (parsed as { Statement: PolicyStatement | PolicyStatement[] }).Statement;
  return Array.isArray(raw) ? raw : [raw];
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function coversFirehose(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as { AWS?: unknown; Service?: unknown };
  return asList(p.AWS).includes('*') || asList(p.Service).includes(FIREHOSE_SERVICE_PRINCIPAL);
}

const actionMatches = (pattern: string, action: string): boolean => globRegExp(pattern, { ignoreCase: true }).test(action);

/** The first action Firehose needs that the policy explicitly denies it, if any. */
export function deniedFirehoseAction(policy: string): string | undefined {
  for (const s of policyStatements(policy)) {
    if (s.Effect !== 'Deny' || s.Condition !== undefined || !coversFirehose(s.Principal)) continue;
    const patterns = asList(s.Action).filter((a): a is string => typeof a === 'string');
    const denied = ACTIONS_FIREHOSE_NEEDS.find((action) => patterns.some((p) => actionMatches(p, action)));
    if (denied) return denied;
  }
  return undefined;
}
