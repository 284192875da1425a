import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { MalformedEventError } from '../domain/errors.ts';
import { readShape, sweepCursorSchema } from '../domain/shapes.ts';
import { MAX_SWEEP_INVOCATIONS, newSweep, sweepStep, type SweepCursor, type SweepDeps } from '../domain/sweep/sweep.ts';
import { observability, type Observability } from './observability.ts';
import { lazily, sweepDeps } from './wiring.ts';

interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn?: string;
}

export interface SweepSettings {
  regions: string[];
  account?: string;
}

/** The sweep's event: the schedule's (a new sweep, named after its `id`), or `{ cursor }` (the rest of one, from the sweep state machine). */
const sweepEventSchema = z.object({ cursor: z.optional(sweepCursorSchema), id: z.optional(z.string().check(z.minLength(1))) });

/** The cursor to go on from: the event's, or a new sweep's. A malformed event is refused, naming each field. */
export function sweepCursorOf(event: unknown, settings: SweepSettings, context: LambdaContextLike, now: number): SweepCursor {
  // An invocation with no payload starts a sweep, like the schedule's.
  const raw = readShape(sweepEventSchema, event ?? {}, 'sweep event');
  if (raw.cursor !== undefined) {
    const c = raw.cursor;
    if (c.invocations >= MAX_SWEEP_INVOCATIONS)
      throw new MalformedEventError(`sweep ${c.sweepId}: stopped after ${c.invocations} invocations`);
    return c;
  }
  const account = settings.account ?? context.invokedFunctionArn?.split(':')[4];
  if (!account) throw new MalformedEventError('sweep: the account id is unknown');
  return newSweep(
    `sweep-${
      raw.id ??
      new Date(now)
        .toISOString()
        .replace(/[^0-9]/g, '')
        .slice(0, 14)
    }`.slice(0, 40),
    account,
    settings.regions,
    now,
  );
}

/**
 * The sweep Lambda, one step of the sweep state machine (infra/sweep-machine.asl.json): runs until
 * its time is short and returns the cursor; the state machine invokes it again with `{ cursor }`
 * until `done`, and retries a failed invocation with the cursor it was given.
 */
export function makeSweepHandler(
  deps: Omit<SweepDeps, 'remainingMs'> & { settings: SweepSettings },
  tools: Observability = observability(),
) {
  return middy(async (event: unknown, context: LambdaContextLike) => {
    const cursor = sweepCursorOf(event, deps.settings, context, deps.clock.now());
    const { done, cursor: next } = await sweepStep(cursor, { ...deps, remainingMs: () => context.getRemainingTimeInMillis() });
    tools.metrics.addMetric('SweepStreamsEvaluated', MetricUnit.Count, next.totals.streams - cursor.totals.streams);
    tools.metrics.addMetric('SweepWorkflowsStarted', MetricUnit.Count, next.workflowsStarted - cursor.workflowsStarted);
    if (done) tools.metrics.addMetric('NonCompliantStreams', MetricUnit.Count, next.totals.REMEDIATE);
    tools.logger.info('sweep step', { sweepId: next.sweepId, done, totals: next.totals });
    return { done, cursor: next };
  })
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

export const handler = lazily(() => makeSweepHandler(sweepDeps()));
