import type { RemediationReason, StreamDecision, Verdict } from './decision.ts';
import type { EncryptionStatus, KeyType } from './firehose-facts.ts';

/** `source` of every event the remediator publishes. */
export const EVENT_SOURCE = 'firehose-sse-guard';

/** The events, each with its EventBridge detail-type, schema version and JSON Schema (infra/schemas/). */
export const EVENT_TYPES = {
  evaluated: { detailType: 'Stream Evaluated', version: '2', schema: 'stream-evaluated.json' },
  remediationStarted: { detailType: 'Remediation Started', version: '2', schema: 'remediation-started.json' },
  remediationSucceeded: { detailType: 'Remediation Succeeded', version: '1', schema: 'remediation-succeeded.json' },
  remediationDeferred: { detailType: 'Remediation Deferred', version: '1', schema: 'remediation-deferred.json' },
  remediationFailed: { detailType: 'Remediation Failed', version: '1', schema: 'remediation-failed.json' },
  driftDetected: { detailType: 'Encryption Drift Detected', version: '2', schema: 'drift-detected.json' },
  budgetLow: { detailType: 'Budget Low', version: '1', schema: 'budget-low.json' },
  keyChangeFailed: { detailType: 'Key Change Failed', version: '2', schema: 'key-change-failed.json' },
  complianceSnapshot: { detailType: 'Compliance Snapshot', version: '1', schema: 'compliance-snapshot.json' },
  organizationSnapshot: { detailType: 'Organization Compliance Snapshot', version: '1', schema: 'organization-snapshot.json' },
} as const satisfies Record<string, { detailType: string; version: string; schema: string }>;

export type EventKind = keyof typeof EVENT_TYPES;

export interface StreamPart {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
}

export interface KeyPart {
  readonly keyType: KeyType;
  readonly keyArn?: string;
}

/** What started an evaluation. */
/** Why a workflow runs; `scheduled-retry` is a deferral or failure coming back at the time it named. */
export const TRIGGERS = [
  'stream-created',
  'encryption-stopped',
  'encryption-started-by-other',
  'config-change',
  'sweep',
  'manual',
  'scheduled-retry',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

export interface BudgetPart {
  readonly remainingOurs: number;
  readonly remainingTotal: number;
}

/** Why a remediation was deferred, and why it failed: one list each, for the outcomes and their events. */
export const DEFERRED_REASONS = ['BUDGET_SPENT', 'STREAM_BUSY', 'KEY_CAPACITY', 'AUDIT_MODE', 'CONTROL_PLANE_BUSY'] as const;
export type DeferredReason = (typeof DEFERRED_REASONS)[number];
export const FAILED_REASONS = ['KEY_PROBLEM', 'CONFIGURATION', 'ATTEMPTS_EXHAUSTED', 'INVALID', 'UNEXPECTED'] as const;
export type FailedReason = (typeof FAILED_REASONS)[number];

/** The detail of each event kind, beyond the common fields (version, kind, occurredAt, correlationId). */
export interface EventDetails {
  /**
   * The verdict on a stream at the time of an evaluation, with the encryption seen then: one per
   * stream a sweep looks at (`evaluatedBy: sweep`), and one per workflow, at its last look
   * (`workflow`: a remediated stream is COMPLIANT and ENABLED with its key).
   */
  evaluated: {
    stream: StreamPart;
    verdict: Verdict;
    reason?: string;
    encryption: { status: EncryptionStatus; keyType?: KeyType; keyArn?: string };
    trigger: Trigger;
    mode: 'enforce' | 'audit';
    /** Who looked (absent from version 1 events, which only workflows published). */
    evaluatedBy?: 'sweep' | 'workflow';
  };
  /** `key`: the key we asked for; `attempts`: this Start's number in the execution (as in Succeeded and Failed). */
  remediationStarted: { stream: StreamPart; reason: RemediationReason; key: KeyPart; attempts: number; budget: BudgetPart };
  remediationSucceeded: {
    stream: StreamPart;
    key: KeyPart;
    attempts: number;
    callsSpent: number;
    viaFallback: boolean;
    detectedAt: string;
    /** When every record is encrypted: ENABLED + the 5-second settle time. */
    protectedAt: string;
    timeToCompliantSeconds: number;
  };
  remediationDeferred: {
    stream: StreamPart;
    reason: DeferredReason;
    nextAttemptAt?: string;
    budget?: BudgetPart;
    details: string;
  };
  remediationFailed: {
    stream: StreamPart;
    reason: FailedReason;
    failureType?: string;
    details: string;
    /** After a failed key change: "encryption remains enabled with the old CMK". */
    stillEncryptedWith?: KeyPart;
    attempts: number;
    callsSpent: number;
  };
  driftDetected: {
    stream: StreamPart;
    eventName: 'StopDeliveryStreamEncryption' | 'StartDeliveryStreamEncryption';
    actor: string;
    /** When the call was made (CloudTrail's eventTime); `occurredAt` is when this event was published. */
    calledAt: string;
    /** The key a Start asked for. */
    key?: KeyPart;
  };
  budgetLow: { stream: StreamPart; remainingOurs: number; remainingTotal: number; threshold: number; nextAvailableAt?: string };
  /** Someone's key change failed; "encryption remains enabled with the old CMK", which the policy accepts. */
  keyChangeFailed: { stream: StreamPart; failureType: string; details: string; key: KeyPart };
  complianceSnapshot: {
    sweepId: string;
    account: string;
    regions: string[];
    totals: Record<Verdict, number> & { streams: number };
    nonCompliant: { name: string; region: string; reason: string }[];
    truncated: boolean;
  };
  /** After an organization sweep: every account and region's snapshot summed, the worst first, and those that could not be swept. */
  organizationSnapshot: {
    sweepId: string;
    startedAt: string;
    accounts: number;
    targets: number;
    totals: Record<Verdict, number> & { streams: number };
    workflowsStarted: number;
    byTarget: { account: string; region: string; streams: number; nonCompliant: number }[];
    failed: { account: string; region?: string; error: string }[];
    truncated: boolean;
  };
}

/** An event ready for EventBridge PutEvents. */
export interface GuardEvent<K extends EventKind = EventKind> {
  readonly source: typeof EVENT_SOURCE;
  readonly detailType: (typeof EVENT_TYPES)[K]['detailType'];
  readonly time: number;
  readonly detail: EventDetails[K] & { version: string; kind: K; occurredAt: string; correlationId: string };
}

/** At most this many non-compliant streams are listed in one snapshot (the event must stay under 256 KB). */
export const SNAPSHOT_LIST_LIMIT = 200;

/** At most this many accounts and regions are listed, worst first, in the organization roll-up event (under 256 KB). */
export const ROLL_UP_LIST_LIMIT = 500;
/** At most this many failed accounts or regions are listed in the roll-up, each reason cut to 300 characters. */
export const ROLL_UP_FAILED_LIMIT = 200;

/**
 * Builds one event.
 *
 * @example
 * buildEvent('remediationStarted', { stream, reason: 'ENCRYPTION_DISABLED', key, attempts: 1, budget }, now, executionId);
 */
export function buildEvent<K extends EventKind>(kind: K, detail: EventDetails[K], at: number, correlationId: string): GuardEvent<K> {
  const type = EVENT_TYPES[kind];
  return {
    source: EVENT_SOURCE,
    detailType: type.detailType,
    time: at,
    detail: { version: type.version, kind, occurredAt: new Date(at).toISOString(), correlationId, ...detail },
  };
}

/** A short human reason for a decision, for the evaluated event. */
export function decisionReason(decision: StreamDecision): string | undefined {
  switch (decision.verdict) {
    case 'REMEDIATE':
      return decision.reason;
    case 'EXEMPT':
      return `${decision.by}:${decision.rule}`;
    case 'BUSY':
      return `${decision.streamStatus}/${decision.encryptionStatus}`;
    case 'NOT_APPLICABLE':
      return decision.streamType;
    case 'COMPLIANT':
      return decision.viaFallback ? 'fallback-key' : undefined;
    case 'GONE':
      return undefined;
  }
}
