import type { InspectDeps } from '../domain/remediation/deps.ts';
import { inspectStream } from '../domain/remediation/inspect.ts';
import { continueState, startState } from '../domain/remediation/state.ts';
import { remediationTask } from './remediation-task.ts';
import { lazily, inspectDeps } from './wiring.ts';

/** The first task also takes the workflow's input (stream, trigger, correlation id) and starts the state. */
const startOrContinue = (input: unknown) =>
  typeof input === 'object' && input !== null && 'counters' in input ? continueState(input) : startState(input);

export const makeInspectHandler = (deps: InspectDeps) => remediationTask(inspectStream, deps, startOrContinue);

export const handler = lazily(() => makeInspectHandler(inspectDeps()));
