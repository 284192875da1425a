import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { findingInputOfEvent, findingOf, type FindingSink } from '../domain/findings.ts';
import { observability, type Observability } from './observability.ts';
import { findingsDeps, lazily } from './wiring.ts';

/** What the function did with one compliance event. */
export type FindingsResult = { imported: string; outcome: string } | { skipped: 'NOT_FINAL' | 'OTHER_ACCOUNT' };

/**
 * Findings (deployed with `securityHub=true`): the compliance bus's rule sends it each per-stream
 * outcome event, and it imports the stream's ASFF finding into Security Hub. A finding Security Hub
 * refuses is an error, so EventBridge retries the event and then parks it in the rule's DLQ. Only the
 * home account's streams: Security Hub takes no finding from one account about another's resource.
 */
export function makeFindingsHandler(deps: { sink: FindingSink; homeAccount?: string }, tools: Observability = observability()) {
  return middy(async (event: unknown): Promise<FindingsResult> => {
    const input = findingInputOfEvent(event);
    if (!input) {
      tools.logger.info('nothing final yet (BUSY, or a workflow outcome follows): no finding');
      return { skipped: 'NOT_FINAL' };
    }
    if (deps.homeAccount && input.stream.account !== deps.homeAccount) {
      // BatchImportFindings accepts only the caller's own account's findings: a member's stream is its own Security Hub's.
      tools.logger.info('a stream of another account: no finding here', { account: input.stream.account });
      return { skipped: 'OTHER_ACCOUNT' };
    }
    const finding = findingOf(input);
    await deps.sink.import([finding]);
    tools.metrics.addMetric('FindingsImported', MetricUnit.Count, 1);
    tools.logger.info('finding imported', { id: finding.Id, outcome: input.outcome, compliance: finding.Compliance.Status });
    return { imported: finding.Id, outcome: input.outcome };
  })
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

export const handler = lazily(() => makeFindingsHandler(findingsDeps()));
