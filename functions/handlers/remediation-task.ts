import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { continueState, type RemediationState } from '../domain/remediation/state.ts';
import { observability, type Observability } from './observability.ts';

export type RemediationStep<D> = (state: RemediationState, deps: D) => Promise<RemediationState>;

/**
 * A state machine task as a Lambda: validate the state, run one use case, return the next state.
 * Errors keep their domain names, which the ASL's Retry and Catch match.
 */
export function remediationTask<D>(
  step: RemediationStep<D>,
  deps: D,
  parse: (input: unknown) => RemediationState = continueState,
  tools: Observability = observability(),
) {
  return middy(async (event: unknown): Promise<RemediationState> => {
    const state = parse(event);
    tools.logger.appendKeys({
      stream: `${state.stream.account}/${state.stream.region}/${state.stream.name}`,
      correlationId: state.correlationId,
    });
    const next = await step(state, deps);
    tools.logger.info('step done', { from: state.phase, to: next.phase, counters: next.counters });
    return next;
  }).use(injectLambdaContext(tools.logger, { resetKeys: true }));
}
