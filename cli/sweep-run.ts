import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { firehoseClients, SdkFirehoseGateway } from '../functions/adapters/firehose-gateway.ts';
import { SdkKeyInspector } from '../functions/adapters/kms-key-inspector.ts';
import { DynamoBudgetLedger } from '../functions/adapters/dynamo/budget-ledger.ts';
import { DynamoLeaseStore } from '../functions/adapters/dynamo/lease-store.ts';
import { DynamoKeyFailureStore } from '../functions/adapters/dynamo/key-failure-store.ts';
import { LocalRetryScheduler } from '../local/local-scheduler.ts';
import { DynamoStreamStateStore } from '../functions/adapters/dynamo/stream-state-store.ts';
import type { StateTable } from '../functions/adapters/dynamo/state-table.ts';
import type { StreamDecision } from '../functions/domain/decision.ts';
import type { GuardPolicy } from '../functions/domain/policy.ts';
import type { LeaseStore, WorkflowStarter } from '../functions/domain/ports.ts';
import type { RemediationDeps } from '../functions/domain/remediation/deps.ts';
import { DEFAULT_WORKFLOW_SETTINGS, type WorkflowSettings } from '../functions/domain/remediation/state.ts';
import { newSweep, sweepStep, SWEEP_TUNING } from '../functions/domain/sweep/sweep.ts';
import { DynamoControlPlanePacer } from '../functions/adapters/dynamo/pacer.ts';
import { MemoryControlPlanePacer } from '../local/memory-pacer.ts';
import { workflowConcurrency } from '../functions/domain/pacing.ts';
import { EventSink } from '../local/event-sink.ts';
import { CallMeter } from '../local/metering.ts';
import { remediationHandlers } from '../local/remediation-handlers.ts';
import { startStateTable } from '../local/state-table.ts';
import { WorkflowRunner, type ExecutionReport } from '../local/workflow-runner.ts';
import { sleep } from '../functions/adapters/sleep.ts';
import { concurrencyLimit, keyedCache } from '../functions/adapters/keyed-cache.ts';
import { decisionReason, type EventDetails } from '../functions/domain/events.ts';
import { firstLine, type Credentials, type SweepTarget } from './identity.ts';
import type { KeyInspector } from '../functions/domain/ports.ts';
import type { StreamRef } from '../functions/domain/stream-ref.ts';
import type { SweepProgress } from './progress.ts';
import { evaluatingGateway, streamKey } from './sweep-gateway.ts';

export interface SweepRunOptions {
  /** The one account to sweep with the default credentials; or `targets`. */
  account?: string;
  /** The accounts to sweep, each with its own credentials (--role-arn, --org). */
  targets?: SweepTarget[];
  regions: string[];
  /** The base credentials and profile of KMS and Firehose clients where a target has none of its own. */
  credentials?: Credentials;
  profile?: string;
  endpointUrl?: string;
  fix: boolean;
  policy: GuardPolicy;
  /** The DynamoDB table of the budget ledger (the deployed system's), for --fix. */
  table?: { name: string; endpointUrl?: string; region: string };
  settings?: Partial<WorkflowSettings>;
  /** The shared pacing's rate per operation (the deployed system's, through its table, when --table is given). */
  callsPerSecond: number;
  /** Remediations at once (default: derived from the rate and the poll interval, enough to keep the Describe quota busy). */
  concurrency?: number;
  progress?: SweepProgress;
  /** Told when a stream's remediation starts and ends (what Ctrl-C reports as unfinished), and when its Start was called. */
  onWorkflow?: (ref: StreamRef, change: 'running' | 'start-called' | 'done') => void;
}

export interface SweptStream {
  account: string;
  region: string;
  name: string;
  verdict: StreamDecision['verdict'];
  reason?: string;
  outcome?: string;
  outcomeReason?: string;
  /** The key the workflow left the stream encrypted with (--fix). */
  key?: { type: string; arn?: string };
  /** Why the stream could not be evaluated: its row reports this, not the verdict. */
  error?: string;
}

/** An account (or one of its regions) that could not be swept: its role could not be assumed, a call failed. */
export interface SweepFailure {
  account: string;
  /** Absent: the whole account. */
  region?: string;
  error: string;
}

export interface SweepRunResult {
  streams: SweptStream[];
  /** Non-compliant DirectPut streams left at the end (what the exit code reports). */
  remaining: number;
  /** Every region swept in some account (the run's, or with per-account regions their union), in order. */
  regions: string[];
  /** What could not be swept; the other accounts and regions were swept all the same. */
  failed: SweepFailure[];
}

const clock = { now: () => Date.now() };

/** Leases are only needed when workflows start; a dry run takes none. */
const noLeases: LeaseStore = {
  acquire: async (_ref, owner, now, ttl) => ({ owner, expiresAt: now + ttl }),
  noteTrigger: async () => undefined,
  takeOver: async () => true,
  observe: async () => ({ held: true, generation: 0 }),
  release: async () => ({ released: true }),
};

/** The state table: the given one, or (no ledger: the user said so) a throwaway one in process. */
async function openTable(options: SweepRunOptions): Promise<{ table: StateTable; close(): Promise<void> }> {
  if (options.table) {
    const client = new DynamoDBClient({
      region: options.table.region,
      ...(options.table.endpointUrl ? { endpoint: options.table.endpointUrl } : {}),
    });
    return {
      table: {
        documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
        tableName: options.table.name,
      },
      close: async () => client.destroy(),
    };
  }
  const local = await startStateTable('firehose-sse-guard-cli');
  return { table: local.table, close: () => local.close() };
}

/**
 * The target's regions, once its credentials work: an assumed role is assumed first, so that a role
 * that does not trust the caller is one failure naming it, not one per region.
 */
async function regionsOf(target: SweepTarget, regions: string[]): Promise<string[]> {
  if (typeof target.credentials === 'function') {
    try {
      await target.credentials();
    } catch (error) {
      throw new Error(target.roleArn ? `cannot assume ${target.roleArn}: ${firstLine(error)}` : `no credentials: ${firstLine(error)}`);
    }
  }
  if (!target.regions) return regions;
  try {
    return await target.regions();
  } catch (error) {
    throw new Error(`cannot list its enabled regions (Account Management ListRegions): ${firstLine(error)}`);
  }
}

/** Sweeps the accounts; with `fix`, runs the remediation state machine for every stream that needs it. */
export async function runSweep(options: SweepRunOptions): Promise<SweepRunResult> {
  const targets: SweepTarget[] = options.targets ?? (options.account ? [{ account: options.account }] : []);
  if (targets.length === 0) throw new RangeError('runSweep: no account to sweep');
  const credentialsOf = new Map(targets.map((t) => [t.account, t.credentials ?? options.credentials]));
  const base = (account: string) => {
    const credentials = credentialsOf.get(account) ?? options.credentials;
    return {
      ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
      ...(credentials ? { credentials } : options.profile ? { profile: options.profile } : {}),
    };
  };
  // One client pair per account and region, with the account's credentials (its member role with --org).
  const firehoseFor = keyedCache((key) => {
    const [account, region] = key.split('/') as [string, string];
    return firehoseClients({ region, ...base(account) });
  });
  const firehose = new SdkFirehoseGateway(({ account, region }) => firehoseFor(`${account}/${region}`));
  // A key is checked in its own account, as that account's target (else as the first one: its key policy decides; unknown is no veto).
  const kmsFor = keyedCache((key) => {
    const [account, region] = key.split('/') as [string, string];
    return new KMSClient({ region, ...base(account) });
  });
  const inspectors = keyedCache((account) => new SdkKeyInspector((region) => kmsFor(`${account}/${region}`)));
  const keys: KeyInspector = {
    check: (keyArn) => {
      const owner = keyArn.split(':')[4] ?? '';
      return inspectors(credentialsOf.has(owner) ? owner : (targets[0]?.account ?? owner)).check(keyArn);
    },
  };
  const storage = options.fix ? await openTable(options) : undefined;
  // With the deployed table, this run paces through the deployed system's frontiers: together they stay under the quota.
  const pacer =
    storage && options.table
      ? new DynamoControlPlanePacer(storage.table, options.callsPerSecond)
      : new MemoryControlPlanePacer(options.callsPerSecond);
  const events = new EventSink();
  const streamErrors = new Map<string, string>();
  const sweepFirehose = evaluatingGateway(firehose, streamErrors, options.progress);
  // The workflows' events say what their results do not: that Start was called, and the key it left.
  const keysOf = new Map<string, { type: string; arn?: string }>();
  events.subscribe(({ detail }) => {
    if (detail.kind === 'remediationStarted') options.onWorkflow?.((detail as EventDetails['remediationStarted']).stream, 'start-called');
    if (detail.kind === 'remediationSucceeded') {
      const { stream, key } = detail as EventDetails['remediationSucceeded'];
      keysOf.set(streamKey(stream), { type: key.keyType, ...(key.keyArn ? { arn: key.keyArn } : {}) });
    }
  });
  const reports: Promise<ExecutionReport>[] = [];
  let running = 0;
  const rows = new Map<string, SweptStream>();
  const failed: SweepFailure[] = [];
  const swept: string[] = [];
  try {
    let starter: WorkflowStarter = { start: async () => ({ started: true }) };
    let leases: LeaseStore = noLeases;
    if (storage) {
      const deps: RemediationDeps = {
        firehose,
        keys,
        ledger: new DynamoBudgetLedger(storage.table),
        states: new DynamoStreamStateStore(storage.table),
        leases: new DynamoLeaseStore(storage.table),
        keyFailures: new DynamoKeyFailureStore(storage.table),
        // A laptop run cannot come back later: retries are listed, and the deployed system's sweep takes them.
        scheduler: new LocalRetryScheduler(clock),
        publisher: events,
        clock,
        policy: options.policy,
        settings: { ...DEFAULT_WORKFLOW_SETTINGS, ...options.settings },
        pacer,
        estimates: pacer,
        sleep,
      };
      leases = deps.leases;
      const runner = new WorkflowRunner(
        remediationHandlers(deps),
        clock,
        new CallMeter(),
        { account: targets[0]?.account ?? '123456789012', region: options.regions[0] ?? 'us-east-1' },
        true,
      );
      // Enough remediations at once to keep the Describe quota busy while others wait out ENABLING; the pacing sets the rate.
      const limit = concurrencyLimit(options.concurrency ?? workflowConcurrency(options.callsPerSecond, deps.settings.pollSeconds));
      starter = {
        start: async (name, input) => {
          const { done } = await limit(async () => {
            running += 1;
            options.progress?.running(running);
            options.onWorkflow?.(input.stream, 'running');
            return runner.run(name, input).finally(() => {
              running -= 1;
              options.progress?.running(running);
              options.onWorkflow?.(input.stream, 'done');
            });
          });
          reports.push(done);
          return { started: true };
        },
      };
    }
    const sweepId = `cli-${new Date()
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}`;
    const sweepRegion = async (account: string, region: string): Promise<void> => {
      let cursor = newSweep(sweepId, account, [region], clock.now());
      for (;;) {
        const step = await sweepStep(cursor, {
          firehose: sweepFirehose,
          leases,
          starter,
          publisher: events,
          clock,
          policy: options.policy,
          ...SWEEP_TUNING,
          pacer,
          sleep,
          remainingMs: () => Number.POSITIVE_INFINITY,
          reserveMs: 0,
          onStream: (ref, decision) => {
            const reason = decisionReason(decision);
            // A stream the gateway could not read reaches the sweep as gone: its row says why instead.
            const error = streamErrors.get(streamKey(ref));
            rows.set(streamKey(ref), {
              account: ref.account,
              region: ref.region,
              name: ref.name,
              verdict: decision.verdict,
              ...(reason && !error ? { reason } : {}),
              ...(error ? { error } : {}),
            });
            options.progress?.evaluated(ref.account, ref.region);
          },
        });
        cursor = step.cursor;
        if (step.done) break;
      }
    };
    // Accounts one after another; each account's regions in turn (the pacing is per account and region). An
    // account whose role cannot be assumed, or a region whose calls fail, is reported, and the others swept all the same.
    for (const target of targets) {
      const regions = await regionsOf(target, options.regions).catch((error: unknown) => {
        failed.push({ account: target.account, error: firstLine(error) });
        return [];
      });
      for (const region of regions) {
        if (!swept.includes(region)) swept.push(region);
        await sweepRegion(target.account, region).catch((error: unknown) => {
          const message = firstLine(error);
          // AWS refuses every key in an opt-in region the account has not enabled.
          const hint = /UnrecognizedClientException/.test(message) ? ` (is ${region} enabled in ${target.account}?)` : '';
          failed.push({ account: target.account, region, error: `${message}${hint}` });
        });
      }
    }
    for (const report of await Promise.all(reports)) {
      const output = report.output as
        | {
            stream?: { account: string; region: string; name: string };
            status?: string;
            reason?: string;
          }
        | undefined;
      const row = output?.stream ? rows.get(streamKey(output.stream)) : undefined;
      if (row)
        Object.assign(row, {
          outcome: output?.status ?? report.status,
          ...(output?.reason ? { outcomeReason: output.reason } : {}),
          ...(keysOf.has(streamKey(row)) ? { key: keysOf.get(streamKey(row)) } : {}),
        });
    }
    const streams = [...rows.values()].sort((a, b) =>
      `${a.account}/${a.region}/${a.name}`.localeCompare(`${b.account}/${b.region}/${b.name}`),
    );
    const fixed = (s: SweptStream) =>
      s.outcome === 'REMEDIATED' ||
      s.outcome === 'COMPLIANT' ||
      s.outcome === 'EXEMPT' ||
      s.outcome === 'NOT_APPLICABLE' ||
      s.outcome === 'GONE';
    return {
      streams,
      remaining: streams.filter((s) => s.verdict === 'REMEDIATE' && !(options.fix && fixed(s))).length,
      regions: swept,
      failed,
    };
  } finally {
    for (const c of firehoseFor.values()) {
      c.read.destroy();
      c.write.destroy();
    }
    for (const c of kmsFor.values()) c.destroy();
    await storage?.close();
  }
}
