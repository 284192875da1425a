import { classifyEnableFailure } from '../failure-classes.ts';
import type { CheckDeps } from './deps.ts';
import { nextKeyOrFail } from './enable.ts';
import { rememberKeyFailure } from './inspect.ts';
import { conclude, goTo, refOf, settle, type RemediationState } from './state.ts';
import { afterThrottle, atSlot, takeSlots, throttled } from './paced-calls.ts';

/**
 * Check (the poll): look at the stream after Start. ENABLING polls again with a growing wait, up to
 * a bound; ENABLED with our key waits the 5-second settle time, after which Inspect gives the verdict;
 * ENABLING_FAILED is classified: a key problem is remembered for the stream and Inspect moves to the
 * next key (or it fails without spending more), a transient failure waits with backoff while attempts
 * allow and goes back to Inspect, a configuration problem fails. Anything else (someone interfered)
 * goes back to Inspect.
 */
export async function checkEncryption(held: RemediationState, deps: CheckDeps): Promise<RemediationState> {
  const slot = await takeSlots(held, ['DescribeDeliveryStream'], 'CHECK', deps);
  if ('wait' in slot) return slot.wait;
  const state = slot.ready;
  const { settings } = deps;
  let description;
  try {
    description = await atSlot(slot.at.DescribeDeliveryStream, deps, () => deps.firehose.describe(refOf(state)));
  } catch (error) {
    const limited = throttled(error);
    if (limited) return afterThrottle(state, 'DescribeDeliveryStream', 'CHECK', limited, deps);
    throw error;
  }
  if (!description) return conclude(state, { status: 'GONE', reason: 'deleted during remediation' });
  const { encryption } = description;
  const target = state.target;
  await learnEnablingTime(state, encryption.status, deps);

  if (encryption.status === 'ENABLING') {
    const polls = state.counters.polls + 1;
    if (polls >= settings.maxPolls) {
      return conclude(state, { status: 'FAILED', reason: 'ATTEMPTS_EXHAUSTED', details: `encryption still ENABLING after ${polls} polls` });
    }
    const seconds = nextPollSeconds(state, polls, settings);
    return goTo({ ...state, counters: { ...state.counters, polls }, lookDueAt: deps.clock.now() + seconds * 1000 }, 'POLL', { seconds });
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

/** A first look that came this much later than planned says nothing about whether the planned wait was enough. */
const LATE_LOOK_MS = 2_000;

/**
 * The first look after a Start teaches the ENABLING estimate: ENABLING still means the wait was too
 * short (so was any shorter one); ENABLED means it was long enough, but only if the look came about
 * when planned (a look delayed by its slot would have found ENABLED anyway).
 */
async function learnEnablingTime(state: RemediationState, status: string, deps: CheckDeps): Promise<void> {
  if (state.startedAt === undefined || state.firstLookAfterMs === undefined) return;
  const place = { account: state.stream.account, region: state.stream.region };
  const now = deps.clock.now();
  const lookedAfter = now - state.startedAt;
  const onTime = now <= (state.lookDueAt ?? now) + LATE_LOOK_MS;
  // One slow stream must not drag the estimate: one lesson moves it by 25% at most.
  const current = (await deps.estimates.typical(place)) ?? state.firstLookAfterMs;
  const learn = (waitedMs: number, enabledByThen: boolean) =>
    deps.estimates.learn(place, Math.min(waitedMs, enabledByThen ? (current * 1.25) / 0.95 : current), enabledByThen);
  if (state.counters.polls === 0) {
    // Still ENABLING: the wait was too short, however late the look came.
    if (status === 'ENABLING') await learn(Math.max(lookedAfter, state.firstLookAfterMs), false);
    else if (status === 'ENABLED' && onTime) await learn(state.firstLookAfterMs, true);
  } else if (status === 'ENABLED' && onTime && state.lookDueAt !== undefined) {
    // After looks that found ENABLING, the first that finds ENABLED (on time) brackets how long it took:
    // after the previous look, by this one. Learn from the middle.
    const previousLook = state.lookDueAt - state.startedAt - nextPollSeconds(state, state.counters.polls, deps.settings) * 1000;
    await learn((previousLook + lookedAfter) / 2, true);
  }
}

/**
 * The wait before the next look at a stream still ENABLING: half the first wait, doubling per look,
 * up to maxPollSeconds (a first look at the learnt estimate rarely misses; one that did, misses by little).
 */
export function nextPollSeconds(state: RemediationState, polls: number, settings: CheckDeps['settings']): number {
  const first = (state.firstLookAfterMs ?? settings.pollSeconds * 1000) / 1000;
  return Math.min(Math.max(2, Math.ceil(first / 2)) * 2 ** (polls - 1), settings.maxPollSeconds);
}
