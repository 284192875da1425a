import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { MalformedEventError } from '../domain/errors.ts';
import { readShape, sweepCursorSchema } from '../domain/shapes.ts';
import { MAX_SWEEP_INVOCATIONS, newSweep, sweepStep, type SweepCursor, type SweepDeps } from '../domain/sweep/sweep.ts';
import { accountTargets, failureText, planSweep, rollUp, targetCursor, type SweepScope } from '../domain/sweep/organization.ts';
import type { AccountDirectory, SweepResults, SweepRuns } from '../domain/ports.ts';
import { observability, type Observability } from './observability.ts';
import { lazily, sweepDeps } from './wiring.ts';

interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  invokedFunctionArn?: string;
}

export interface SweepSettings {
  /** The configured regions, or `enabled`: each account's enabled regions (functions/config.ts). */
  regions: string[] | 'enabled';
  /** The home account (default: the function's own, from its ARN). */
  account?: string;
  /** Sweep the organization's accounts, not only the home account. */
  organization?: boolean;
  include?: string[];
  exclude?: string[];
}

/** The sweep's scope, from its settings and the home account. */
export const sweepScopeOf = (settings: SweepSettings, home: string): SweepScope => ({
  home,
  accounts: settings.organization ? 'organization' : 'account',
  include: settings.include ?? [],
  exclude: settings.exclude ?? [],
  regions: settings.regions,
});

const sweepIdSchema = z.string().check(z.minLength(1), z.maxLength(80));
const accountItemSchema = z.object({ sweepId: sweepIdSchema, startedAt: z.number(), account: z.string().check(z.regex(/^\d{12}$/)) });
/** The sweep state machine's steps (infra/sweep-machine.asl.json) other than the sweep of a target. */
const actionSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    id: z.optional(z.string().check(z.minLength(1))),
    // The state machine and this execution ($$.StateMachine.Id, $$.Execution.Id): one sweep at a time.
    stateMachine: z.optional(z.string().check(z.minLength(1))),
    execution: z.optional(z.string().check(z.minLength(1))),
  }),
  z.extend(accountItemSchema, { action: z.literal('targets') }),
  // A target (or a whole account) the state machine caught failing: its Error and Cause.
  z.object({
    action: z.literal('failed'),
    sweepId: sweepIdSchema,
    account: z.string().check(z.regex(/^\d{12}$/)),
    region: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/))),
    // The Catch's ResultPath: Step Functions' Error and Cause (either may be missing: nothing here assumes them).
    failure: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  }),
  z.object({
    action: z.literal('rollUp'),
    sweepId: sweepIdSchema,
    startedAt: z.number(),
    // The plan's accounts: one with no recorded result is reported as failed.
    accounts: z.array(z.object({ account: z.string() })),
  }),
]);

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
  const account = homeAccount(settings, context);
  if (settings.regions === 'enabled')
    throw new MalformedEventError("sweep: each account's enabled regions are found by the sweep state machine; start it instead");
  return newSweep(sweepIdOf(raw.id, now), account, settings.regions, now);
}

/** Why an account is not this deployment's to sweep (excluded, not included, another account without organizationId). */
function outsideSweepScope(account: string, scope: SweepScope): string | undefined {
  if (scope.exclude.includes(account)) return `account ${account} is excluded (excludeAccounts)`;
  if (scope.include.length > 0 && !scope.include.includes(account)) return `account ${account} is not in this deployment's accounts`;
  if (scope.accounts === 'account' && account !== scope.home)
    return `account ${account} is not this account (${scope.home}) and no organization is set`;
  return undefined;
}

function resultsOf(deps: { results?: SweepResults }): SweepResults {
  if (!deps.results) throw new MalformedEventError('sweep: this deployment keeps no sweep results (no state table)');
  return deps.results;
}

function homeAccount(settings: SweepSettings, context: LambdaContextLike): string {
  const account = settings.account ?? context.invokedFunctionArn?.split(':')[4];
  if (!account) throw new MalformedEventError('sweep: the account id is unknown');
  return account;
}

const sweepIdOf = (id: string | undefined, now: number): string =>
  `sweep-${
    id ??
    new Date(now)
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)
  }`.slice(0, 40);

/** One step of the sweep state machine other than a target's sweep: the plan, an account's targets, the roll-up. */
async function runAction(
  event: z.output<typeof actionSchema>,
  deps: {
    settings: SweepSettings;
    directory?: AccountDirectory;
    results?: SweepResults;
    runs?: SweepRuns;
    clock: SweepDeps['clock'];
    publisher: SweepDeps['publisher'];
  },
  context: LambdaContextLike,
): Promise<unknown> {
  const scope = sweepScopeOf(deps.settings, homeAccount(deps.settings, context));
  const now = deps.clock.now();
  switch (event.action) {
    case 'plan': {
      const sweepId = sweepIdOf(event.id, now);
      // A sweep still running (a large organization, a slow quota) is not raced by the next schedule's:
      // the two would halve each other's pacing and both start over with the same first accounts.
      if (deps.runs && event.stateMachine && event.execution && (await deps.runs.othersRunning(event.stateMachine, event.execution)))
        return { sweepId, startedAt: now, accounts: [], skipped: true };
      return planSweep(sweepId, now, scope, deps.directory);
    }
    case 'targets':
      return { targets: (await accountTargets(event, scope, deps.directory)).map((target) => ({ cursor: targetCursor(target) })) };
    case 'failed': {
      const summary = {
        account: event.account,
        ...(event.region ? { region: event.region } : {}),
        error: failureText(event.failure.Error ?? 'States.TaskFailed', event.failure.Cause),
      };
      await resultsOf(deps).record(event.sweepId, summary, now);
      return {};
    }
    case 'rollUp': {
      const recorded = await resultsOf(deps).list(event.sweepId);
      const snapshot = rollUp(event.sweepId, event.startedAt, recorded, now, [...new Set(event.accounts.map((a) => a.account))]);
      await deps.publisher.publish([snapshot]);
      return { rolledUp: true, targets: snapshot.detail.targets, failed: snapshot.detail.failed.length, totals: snapshot.detail.totals };
    }
  }
}

/**
 * The sweep Lambda, one step of the sweep state machine (infra/sweep-machine.asl.json): runs until
 * its time is short and returns the cursor; the state machine invokes it again with `{ cursor }`
 * until `done`, and retries a failed invocation with the cursor it was given.
 */
export function makeSweepHandler(
  deps: Omit<SweepDeps, 'remainingMs'> & {
    settings: SweepSettings;
    directory?: AccountDirectory;
    results?: SweepResults;
    runs?: SweepRuns;
  },
  tools: Observability = observability(),
) {
  return middy(async (event: unknown, context: LambdaContextLike) => {
    if (typeof event === 'object' && event !== null && 'action' in event) {
      const step = readShape(actionSchema, event, 'sweep step');
      const result = await runAction(step, deps, context);
      if (step.action === 'plan' && (result as { skipped?: boolean }).skipped) tools.metrics.addMetric('SweepSkipped', MetricUnit.Count, 1);
      if (step.action === 'rollUp') {
        const { failed, totals } = result as { failed: number; totals: { REMEDIATE: number } };
        tools.metrics.addMetric('SweepTargetsFailed', MetricUnit.Count, failed);
        tools.metrics.addMetric('OrganizationNonCompliantStreams', MetricUnit.Count, totals.REMEDIATE);
      }
      tools.logger.info('sweep step', { action: step.action });
      return result;
    }
    const cursor = sweepCursorOf(event, deps.settings, context, deps.clock.now());
    const outside = outsideSweepScope(cursor.account, sweepScopeOf(deps.settings, homeAccount(deps.settings, context)));
    if (outside) throw new MalformedEventError(`sweep ${cursor.sweepId}: ${outside}`);
    const { done, cursor: next } = await sweepStep(cursor, { ...deps, remainingMs: () => context.getRemainingTimeInMillis() });
    // A finished target's counts go to the sweep's results, for the roll-up (not through the state machine's state).
    if (done && deps.results)
      await deps.results.record(
        next.sweepId,
        { account: next.account, region: next.regions.join(','), totals: next.totals, workflowsStarted: next.workflowsStarted },
        deps.clock.now(),
      );
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
