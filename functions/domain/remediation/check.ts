import { classifyEnableFailure } from '../failure-classes.ts';
import type { CheckDeps } from './deps.ts';
import { nextKeyOrFail } from './enable.ts';
import { rememberKeyFailure } from './inspect.ts';
import { conclude, goTo, refOf, settle, type RemediationState } from './state.ts';

/**
 * Check (the poll): look at the stream after Start. ENABLING polls again with a growing wait, up to
 * a bound; ENABLED with our key waits the 5-second settle time, after which Inspect gives the verdict;
 * ENABLING_FAILED is classified: a key problem is remembered for the stream and Inspect moves to the
 * next key (or it fails without spending more), a transient failure waits with backoff while attempts
 * allow and goes back to Inspect, a configuration problem fails. Anything else (someone interfered)
 * goes back to Inspect.
 */
export async function checkEncryption(state: RemediationState, deps: CheckDeps): Promise<RemediationState> {
  const { settings } = deps;
  const description = await deps.firehose.describe(refOf(state));
  if (!description) return conclude(state, { status: 'GONE', reason: 'deleted during remediation' });
  const { encryption } = description;
  const target = state.target;

  if (encryption.status === 'ENABLING') {
    const polls = state.counters.polls + 1;
    if (polls >= settings.maxPolls) {
      return conclude(state, { status: 'FAILED', reason: 'ATTEMPTS_EXHAUSTED', details: `encryption still ENABLING after ${polls} polls` });
    }
    const seconds = Math.min(settings.pollSeconds * 2 ** polls, settings.maxPollSeconds);
    return goTo({ ...state, counters: { ...state.counters, polls } }, 'POLL', { seconds });
  }

  if (
    encryption.status === 'ENABLED' &&
    target &&
    encryption.keyType === target.keyType &&
    (target.keyType === 'AWS_OWNED_CMK' || encryption.keyArn === target.keyArn)
  ) {
    return settle(state, deps.clock.now());
  }

  if (encryption.status === 'ENABLING_FAILED' && target) {
    const failureType = encryption.failure?.type ?? 'UNKNOWN_ERROR';
    const details = encryption.failure?.details ?? 'ENABLING_FAILED without a failure description';
    switch (classifyEnableFailure(failureType)) {
      case 'KEY_PROBLEM':
        await rememberKeyFailure(state, target, failureType, details, deps);
        return nextKeyOrFail(state, target, failureType, details, deps);
      case 'CONFIGURATION':
        return conclude(state, {
          status: 'FAILED',
          reason: 'CONFIGURATION',
          failureType,
          details,
          ...(state.previousKey ? { stillEncryptedWith: state.previousKey } : {}),
        });
      case 'TRANSIENT':
        if (state.counters.attempts >= settings.maxAttempts) {
          return conclude(state, {
            status: 'FAILED',
            reason: 'ATTEMPTS_EXHAUSTED',
            failureType,
            details: `${details} (after ${state.counters.attempts} attempts)`,
            ...(state.previousKey ? { stillEncryptedWith: state.previousKey } : {}),
          });
        }
        return goTo(state, 'WAIT_RETRY', { seconds: settings.retrySeconds * 2 ** (state.counters.attempts - 1) });
    }
  }

  return goTo(state, 'INSPECT');
}
