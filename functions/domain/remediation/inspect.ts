import { decideStream, nextKeyAfter, type TargetKey } from '../decision.ts';
import { decisionReason } from '../events.ts';
import type { RemediationDeps } from './deps.ts';
import { conclude, goTo, initialOf, keyLabel, refOf, settleThenConclude, type RemediationState } from './state.ts';

/**
 * Inspect: describe the stream, let the policy decide, and route. COMPLIANT, NOT_APPLICABLE, EXEMPT
 * and GONE conclude; BUSY waits and looks again (bounded); REMEDIATE goes to Enable with the key to
 * use (or concludes as deferred in audit mode).
 */
export async function inspectStream(state: RemediationState, deps: RemediationDeps): Promise<RemediationState> {
  const { settings, policy } = deps;
  const counters = { ...state.counters, inspections: state.counters.inspections + 1 };
  const current: RemediationState = { ...state, counters, detectedAt: Number.isFinite(state.detectedAt) ? state.detectedAt : deps.clock.now() };
  if (counters.inspections > settings.maxInspections) {
    return conclude(current, { status: 'DEFERRED', reason: 'STREAM_BUSY', details: `stream still not settled after ${settings.maxInspections} inspections` });
  }
  const ref = refOf(current);
  const description = await deps.firehose.describe(ref);
  const tags = description?.type === 'DirectPut' ? await deps.firehose.tags(ref) : {};
  const decision = decideStream(description, tags, policy);
  const encryption = {
    status: description?.encryption.status ?? 'DISABLED',
    ...(description?.encryption.keyType ? { keyType: description.encryption.keyType } : {}),
    ...(description?.encryption.keyArn ? { keyArn: description.encryption.keyArn } : {}),
  };
  const next: RemediationState = current.initial ? current : { ...current, initial: initialOf(decision, encryption, decisionReason(decision)) };

  switch (decision.verdict) {
    case 'COMPLIANT': {
      const key = { keyType: decision.keyType, ...(decision.keyArn ? { keyArn: decision.keyArn } : {}), viaFallback: decision.viaFallback };
      // Compliant because of our own earlier call (seen after a busy wait): still wait out the settle time.
      if (next.counters.callsSpent > 0) return settleThenConclude(next, toTarget(key), deps.clock.now(), policy);
      return conclude(next, { status: 'COMPLIANT', ...key });
    }
    case 'NOT_APPLICABLE':
    case 'EXEMPT':
    case 'GONE': {
      const reason = decisionReason(decision);
      return conclude(next, { status: decision.verdict, ...(reason ? { reason } : {}) });
    }
    case 'BUSY': {
      const busyWaits = next.counters.busyWaits + 1;
      if (busyWaits > settings.maxBusyWaits) {
        return conclude(next, {
          status: 'DEFERRED',
          reason: 'STREAM_BUSY',
          details: `stream ${decision.streamStatus} with encryption ${decision.encryptionStatus} after ${settings.maxBusyWaits} waits`,
        });
      }
      return goTo({ ...next, counters: { ...next.counters, busyWaits } }, 'WAIT_BUSY', { seconds: settings.busyWaitSeconds });
    }
    case 'REMEDIATE': {
      if (policy.mode === 'audit') {
        return conclude(next, { status: 'DEFERRED', reason: 'AUDIT_MODE', details: `${decision.reason}: audit mode reports without remediating` });
      }
      const target = usableTarget(decision.target, next.unusableKeys, deps);
      if (!target) {
        return conclude(next, { status: 'FAILED', reason: 'KEY_PROBLEM', details: `no usable key left: ${next.unusableKeys.join(', ')}` });
      }
      const previousKey =
        description?.encryption.status === 'ENABLED' && description.encryption.keyType
          ? { keyType: description.encryption.keyType, ...(description.encryption.keyArn ? { keyArn: description.encryption.keyArn } : {}) }
          : next.previousKey;
      return goTo({ ...next, target, reason: decision.reason, ...(previousKey ? { previousKey } : {}) }, 'ENABLE');
    }
  }
}

/** The policy's preferred key, or the next in order that this execution has not found unusable. */
export function usableTarget(preferred: TargetKey, unusable: readonly string[], deps: Pick<RemediationDeps, 'policy'>): TargetKey | undefined {
  let candidate: TargetKey | undefined = preferred;
  while (candidate && unusable.includes(keyLabel(candidate))) candidate = nextKeyAfter(candidate, deps.policy);
  return candidate;
}

function toTarget(key: { keyType: 'AWS_OWNED_CMK' | 'CUSTOMER_MANAGED_CMK'; keyArn?: string }): TargetKey {
  return key.keyType === 'CUSTOMER_MANAGED_CMK' && key.keyArn ? { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key.keyArn } : { keyType: 'AWS_OWNED_CMK' };
}
