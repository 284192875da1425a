import type { GuardPolicy } from '../policy.ts';
import type {
  BudgetLedger,
  Clock,
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
}

/** What each task needs of the adapters: each Lambda builds only these (its bundle holds no other client). */
export type InspectDeps = Pick<
  RemediationDeps,
  'firehose' | 'keys' | 'ledger' | 'states' | 'leases' | 'keyFailures' | 'clock' | 'policy' | 'settings'
>;
export type EnableDeps = Pick<
  RemediationDeps,
  'firehose' | 'keys' | 'ledger' | 'keyFailures' | 'publisher' | 'clock' | 'policy' | 'settings'
>;
export type CheckDeps = Pick<RemediationDeps, 'firehose' | 'keys' | 'keyFailures' | 'clock' | 'policy' | 'settings'>;
export type ConcludeDeps = Pick<RemediationDeps, 'states' | 'leases' | 'publisher' | 'scheduler' | 'clock' | 'policy'>;
/** What remembering a failed key needs. */
export type KeyMemoryDeps = Pick<RemediationDeps, 'keys' | 'keyFailures' | 'clock'>;
