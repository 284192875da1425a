import { findingOf, FINDING_OUTCOMES, type AsffFinding, type FindingOutcome } from '../functions/domain/findings.ts';
import { KEY_TYPES, partitionOf, streamArn, type KeyType } from '../functions/domain/firehose-facts.ts';
import type { CliResult, ResultStream } from './result.ts';

const isOutcome = (text: string | undefined): text is FindingOutcome => (FINDING_OUTCOMES as readonly string[]).includes(text ?? '');
const isKeyType = (text: string): text is KeyType => (KEY_TYPES as readonly string[]).includes(text);

/**
 * The finding's outcome: what a fix or the deployed system concluded, else where the stream stands. A
 * stream that could not be read, is changing its encryption or has no conclusion has no finding (the
 * finding would claim what nobody saw).
 */
function outcomeOf(s: ResultStream): FindingOutcome | undefined {
  if (isOutcome(s.outcome)) return s.outcome;
  return isOutcome(s.status) ? s.status : undefined;
}

/** The Security Hub findings of a result: the ones the deployed findings function imports, for a one-off import. */
export function findingsOf(result: CliResult): AsffFinding[] {
  const observedAt = Date.parse(result.generatedAt);
  return result.streams.flatMap((s) => {
    const outcome = outcomeOf(s);
    if (!outcome) return [];
    const reason = s.outcomeReason ?? s.reason;
    return [
      findingOf({
        stream: { account: s.account, region: s.region, name: s.name, arn: streamArn(partitionOf(s.region), s.region, s.account, s.name) },
        outcome,
        observedAt,
        ...(reason ? { reason } : {}),
        ...(s.key && isKeyType(s.key.type) ? { key: { keyType: s.key.type, ...(s.key.arn ? { keyArn: s.key.arn } : {}) } } : {}),
        ...(s.budget ? { budget: { remainingOurs: s.budget.remainingOurs, remainingTotal: s.budget.remainingTotal } } : {}),
      }),
    ];
  });
}

/**
 * `--output asff`: `{"Findings": [...]}`, the input of `aws securityhub batch-import-findings --cli-input-json`
 * (which takes FINDINGS_PER_IMPORT findings a call: split larger files, e.g. with jq).
 */
export const renderAsff = (result: CliResult): string => JSON.stringify({ Findings: findingsOf(result) }, null, 2);
