import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { cleanUpExecution, parseExecutionEnded } from '../domain/remediation/cleanup.ts';
import type { ConcludeDeps } from '../domain/remediation/deps.ts';
import { observability, type Observability } from './observability.ts';
import { lazily, concludeDeps } from './wiring.ts';

/**
 * Cleanup: EventBridge calls it when an execution of the state machine fails, times out or is aborted
 * (infra rule on "Step Functions Execution Status Change"). It publishes the failure, schedules the
 * retry, and gives the stream's lease back. A malformed event is an error (the rule's DLQ keeps it).
 */
export function makeCleanupHandler(deps: ConcludeDeps, tools: Observability = observability()) {
  return middy(async (event: unknown) => {
    const ended = parseExecutionEnded(event);
    const result = await cleanUpExecution(ended, deps);
    tools.metrics.addMetric(`Execution${ended.status}`, MetricUnit.Count, 1);
    tools.metrics.addMetric('OutcomeFAILED', MetricUnit.Count, 1);
    tools.logger.warn('execution ended without concluding', {
      execution: ended.executionName,
      status: ended.status,
      followUp: result.followUp,
      retryAt: result.retryAt,
    });
    return result;
  })
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

export const handler = lazily(() => makeCleanupHandler(concludeDeps()));
