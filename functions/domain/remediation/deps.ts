import type { GuardPolicy } from '../policy.ts';
import type {
  BudgetLedger,
  Clock,
  ControlPlanePacer,
  EnablingEstimates,
  EnforcementClaims,
  EventPublisher,
  FirehoseGateway,
  KeyFailureStore,
  KeyInspector,
  LeaseStore,
  RetryScheduler,
  StreamStateStore,
} from '../ports.ts';
import type { WorkflowSettings } from './state.ts';

/** What the remediation use cases need; the handlers (and the local runner) provide it. */
export interface RemediationDeps {
  firehose: FirehoseGateway;
  keys: KeyInspector;
  ledger: BudgetLedger;
  states: StreamStateStore;
  leases: LeaseStore;
  keyFailures: KeyFailureStore;
  scheduler: RetryScheduler;
  publisher: EventPublisher;
  clock: Clock;
  policy: GuardPolicy;
  settings: WorkflowSettings;
  /** The shared pacing of Firehose control-plane calls (functions/domain/pacing.ts). */
  pacer: ControlPlanePacer;
  /** How long ENABLING typically lasts, for the first look after a Start. */
  estimates: EnablingEstimates;
  /** Waits in the Lambda (a slot at most INLINE_SLOT_WAIT_MS away). */
  sleep: (ms: number) => Promise<void>;
  /** Where another stage enforces, this one only reports (none: no check). */
  claims?: EnforcementClaims;
}

/** What each task needs of the adapters: each Lambda builds only these (its bundle holds no other client). */
export type InspectDeps = Pick<
  RemediationDeps,
  'firehose' | 'keys' | 'ledger' | 'states' | 'leases' | 'keyFailures' | 'clock' | 'policy' | 'settings' | 'pacer' | 'sleep' | 'claims'
>;
export type EnableDeps = Pick<
  RemediationDeps,
  'firehose' | 'keys' | 'ledger' | 'keyFailures' | 'publisher' | 'clock' | 'policy' | 'settings' | 'pacer' | 'estimates' | 'sleep'
>;
export type CheckDeps = Pick<
  RemediationDeps,
  'firehose' | 'keys' | 'keyFailures' | 'clock' | 'policy' | 'settings' | 'pacer' | 'estimates' | 'sleep'
>;
export type ConcludeDeps = Pick<RemediationDeps, 'states' | 'leases' | 'publisher' | 'scheduler' | 'clock' | 'policy'>;
/** What remembering a failed key needs. */
export type KeyMemoryDeps = Pick<RemediationDeps, 'keys' | 'keyFailures' | 'clock'>;
