import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidInputError } from '../domain/errors.ts';
import { takeIn, type IntakeDeps, type IntakeResult } from '../domain/intake/intake.ts';
import { boundReason, parseIntakeEvent } from '../domain/intake/intake-event.ts';
import { outsideScope } from '../domain/intake/scope.ts';
import type { DeadLetterQueue } from '../domain/ports.ts';
import { observability, type Observability } from './observability.ts';
import { intakeDeps, lazily } from './wiring.ts';

export type IntakeOutcome = IntakeResult | { action: 'dead-lettered'; reason: string };

/**
 * The intake Lambda (target of every trigger rule and of the retry schedules). A malformed event,
 * one dated in the future beyond the clock skew, or one for a stream outside the deployment's
 * accounts and regions, goes to the dead-letter queue with its reason
 * (bounded) and the invocation succeeds: retrying it would fail the same way. Anything else that
 * fails is thrown, for Lambda's own retries and on-failure destination.
 */
export function makeIntakeHandler(deps: IntakeDeps & { deadLetters: DeadLetterQueue }, tools: Observability = observability()) {
  return middy(async (event: unknown): Promise<IntakeOutcome> => {
    let parsed;
    try {
      parsed = parseIntakeEvent(event, deps.clock.now());
    } catch (error) {
      // MalformedEventError and InvalidStreamNameError are both InvalidInputErrors.
      if (!(error instanceof InvalidInputError)) throw error;
      const reason = boundReason(error.message);
      await deps.deadLetters.send(event, reason);
      tools.metrics.addMetric('IntakeDeadLettered', MetricUnit.Count, 1);
      tools.logger.warn('dead-lettered a malformed event', { reason });
      return { action: 'dead-lettered', reason };
    }
    // An event for a stream of another account or region (a forwarder set up too widely, a foreign
    // account's event on the bus) never reaches Firehose: it is dead-lettered with the reason.
    const outside = outsideScope(parsed.ref, deps.scope);
    if (outside) {
      const reason = boundReason(outside);
      await deps.deadLetters.send(event, reason);
      tools.metrics.addMetric('IntakeDeadLettered', MetricUnit.Count, 1);
      tools.logger.warn('dead-lettered an event outside the deployment', { reason });
      return { action: 'dead-lettered', reason };
    }
    const result = await takeIn(parsed, deps);
    tools.metrics.addMetric(`Intake_${result.action}`, MetricUnit.Count, 1);
    tools.logger.info('intake', { ...result, stream: parsed.ref.name });
    return result;
  })
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

export const handler = lazily(() => makeIntakeHandler(intakeDeps()));
