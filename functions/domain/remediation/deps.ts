import type { GuardPolicy } from '../policy.ts';
import type { BudgetLedger, Clock, EventPublisher, FirehoseGateway, KeyFailureStore, KeyInspector, LeaseStore, RetryScheduler, StreamStateStore } from '../ports.ts';
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
