import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { firehoseClients, SdkFirehoseGateway, type FirehoseClients } from '../adapters/firehose-gateway.ts';
import { SdkKeyInspector } from '../adapters/kms-key-inspector.ts';
import { DynamoBudgetLedger } from '../adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../adapters/dynamo/lease-store.ts';
import { stateTable } from '../adapters/dynamo/state-table.ts';
import { DynamoStreamStateStore } from '../adapters/dynamo/stream-state-store.ts';
import { loadConfig, type GuardConfig } from '../config.ts';
import type { RemediationDeps } from '../domain/remediation/deps.ts';

/** The production adapters, created once per cold start from the environment. */
export function productionDeps(config: GuardConfig = loadConfig()): RemediationDeps {
  const clients = new Map<string, FirehoseClients>();
  const table = stateTable(config.tableName, { region: config.region });
  return {
    firehose: new SdkFirehoseGateway(({ region }) => {
      let c = clients.get(region);
      if (!c) clients.set(region, (c = firehoseClients({ region })));
      return c;
    }),
    keys: SdkKeyInspector.forConfig(),
    ledger: new DynamoBudgetLedger(table),
    states: new DynamoStreamStateStore(table),
    leases: new DynamoLeaseStore(table),
    publisher: new EventBridgePublisher(new EventBridgeClient({ region: config.region }), { busName: config.busName }),
    clock: { now: () => Date.now() },
    policy: config.policy,
    settings: config.settings,
  };
}

/** Builds the handler on its first invocation, so that importing a handler module reads no environment. */
export function lazily<H extends (...args: never[]) => Promise<unknown>>(build: () => H): H {
  let built: H | undefined;
  return ((...args: Parameters<H>) => {
    try {
      built ??= build();
    } catch (error) {
      // A configuration error fails the invocation (and names every problem) instead of the module load.
      return Promise.reject(error);
    }
    return built(...args);
  }) as H;
}
