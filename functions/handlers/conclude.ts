import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { concludeRemediation, type RemediationResult } from '../domain/remediation/conclude.ts';
import type { ConcludeDeps } from '../domain/remediation/deps.ts';
import { concludableState, type RemediationState } from '../domain/remediation/state.ts';
import { observability, type Observability } from './observability.ts';
import { lazily, concludeDeps } from './wiring.ts';

/**
 * Conclude: record the outcome, publish its events, schedule a retry, release the lease; emits the
 * outcome metrics. Returns the state for another look instead when triggers arrived meanwhile.
 */
export function makeConcludeHandler(deps: ConcludeDeps, tools: Observability = observability()) {
  return middy(async (event: unknown): Promise<RemediationResult | RemediationState> => {
    const state = concludableState(event);
    const result = await concludeRemediation(state, deps);
    if (result.phase !== 'DONE') {
      tools.metrics.addMetric('ConcludeLookedAgain', MetricUnit.Count, 1);
      tools.logger.info('triggers arrived: looking again', { rounds: result.rounds });
      return result;
    }
    tools.metrics.addMetric(`Outcome${result.status}`, MetricUnit.Count, 1);
    tools.metrics.addMetric('EncryptionCallsSpent', MetricUnit.Count, result.callsSpent);
    if (state.outcome?.status === 'DEFERRED' && state.outcome.reason === 'BUDGET_SPENT')
      tools.metrics.addMetric('BudgetExhausted', MetricUnit.Count, 1);
    if (state.budgetRemaining) tools.metrics.addMetric('RemainingEncryptionCalls', MetricUnit.Count, state.budgetRemaining.ours);
    if (state.outcome?.status === 'REMEDIATED' && Number.isFinite(state.detectedAt)) {
      tools.metrics.addMetric('TimeToCompliant', MetricUnit.Seconds, Math.max(0, (state.outcome.protectedAt - state.detectedAt) / 1000));
    }
    tools.logger.info('concluded', { ...result });
    return result;
  })
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

export const handler = lazily(() => makeConcludeHandler(concludeDeps()));
