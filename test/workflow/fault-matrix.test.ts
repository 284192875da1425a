import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNCONFIRMED_CALL_MS } from '../../functions/domain/budget.ts';
import { EventPublishError } from '../../functions/domain/errors.ts';
import type { GuardEvent } from '../../functions/domain/events.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import { startScenario, type Scenario } from '../support/local-account.ts';

/**
 * Issue "Never leave a stream behind", the fault matrix: every modelled fault at every step of the
 * workflow, once and persistent. In every cell, every execution tells exactly one outcome (one Stream
 * Evaluated, at most one Succeeded/Deferred/Failed), no lease stays held, the ledger holds exactly the
 * Start calls Firehose accepted from us, and "Remediation Started" was said only of those.
 */
type Step = 'inspect' | 'enable' | 'check' | 'conclude';
type Fault =
  | { kind: 'firehose'; operation: string; error: string; statusCode?: number }
  | { kind: 'kms'; error: string; statusCode?: number }
  | { kind: 'dynamodb'; error: string }
  | { kind: 'eventbridge'; partial: boolean }
  | { kind: 'crash'; when: 'before' | 'after' };

const FIREHOSE_ERRORS: { error: string; statusCode?: number }[] = [
  { error: 'ServiceUnavailableException', statusCode: 503 },
  { error: 'InternalFailureException', statusCode: 500 },
  { error: 'ThrottlingException' },
  { error: 'LimitExceededException' },
  { error: 'ResourceInUseException' },
  { error: 'ResourceNotFoundException' },
  { error: 'AccessDeniedException' },
  { error: 'InvalidArgumentException' },
  { error: 'InvalidKMSResourceException' },
  { error: 'ConcurrentModificationException' },
  { error: 'ValidationException' },
  { error: 'UnrecognizedClientException' },
  { error: 'ExpiredTokenException' },
];
const OPERATIONS: Record<Step, string[]> = {
  inspect: ['DescribeDeliveryStream', 'ListTagsForDeliveryStream'],
  enable: ['StartDeliveryStreamEncryption'],
  check: ['DescribeDeliveryStream'],
  conclude: [],
};
const STEPS: Step[] = ['inspect', 'enable', 'check', 'conclude'];

function faultsFor(step: Step): Fault[] {
  return [
    ...OPERATIONS[step].flatMap((operation) => FIREHOSE_ERRORS.map((e) => ({ kind: 'firehose' as const, operation, ...e }))),
    ...(step === 'enable'
      ? [
          { kind: 'kms' as const, error: 'KMSInternalException', statusCode: 500 },
          { kind: 'kms' as const, error: 'AccessDeniedException' },
        ]
      : []),
    { kind: 'dynamodb', error: 'InternalServerError' },
    { kind: 'dynamodb', error: 'ProvisionedThroughputExceededException' },
    ...(step === 'enable' || step === 'conclude'
      ? [
          { kind: 'eventbridge' as const, partial: false },
          { kind: 'eventbridge' as const, partial: true },
        ]
      : []),
    { kind: 'crash', when: 'before' },
    { kind: 'crash', when: 'after' },
  ];
}

const label = (f: Fault) =>
  f.kind === 'firehose'
    ? `${f.operation} ${f.error}`
    : f.kind === 'kms'
      ? `KMS DescribeKey ${f.error}`
      : f.kind === 'dynamodb'
        ? `DynamoDB ${f.error}`
        : f.kind === 'eventbridge'
          ? `EventBridge ${f.partial ? 'FailedEntryCount' : 'PutEvents error'}`
          : `Lambda crash ${f.when}`;

describe.each(STEPS)('fault matrix: %s', (step) => {
  let s: Scenario;
  let cell = 0;
  let active: { fault: Fault; persistent: boolean; armed: number } | undefined;
  let inStep = false;

  beforeAll(async () => {
    // Retries are the state machine's (the SDK makes one attempt): what a fault does to a step is what the ASL sees.
    s = await startScenario({ triggers: true, sdkAttempts: 1 });
    const approved = await s.createKey();
    s.account.setPolicy({ key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [approved], fallbackToAwsOwned: true } });
    const emulator = s.account.emulator.emulator;
    // The fault is armed only while the targeted step runs: once (the first time) or every time.
    s.account.runner.intercept = (fn, when) => {
      if (fn !== step || !active) return;
      if (when === 'before') {
        inStep = active.persistent || active.armed === 0;
        if (inStep) active.armed += 1;
        const f = active.fault;
        if (inStep && f.kind === 'firehose')
          emulator.faults.failNext(f.operation, 1_000, {
            type: f.error,
            message: `injected ${f.error}`,
            ...(f.statusCode ? { statusCode: f.statusCode } : {}),
          });
        if (inStep && f.kind === 'kms')
          emulator.faults.failNext('DescribeKey', 1_000, {
            type: f.error,
            message: `injected ${f.error}`,
            ...(f.statusCode ? { statusCode: f.statusCode } : {}),
          });
        if (inStep && f.kind === 'crash' && f.when === 'before')
          throw Object.assign(new Error('injected crash'), { name: 'Lambda.ServiceException' });
      } else if (when === 'after') {
        if (inStep && active.fault.kind === 'crash' && active.fault.when === 'after')
          throw Object.assign(new Error('injected crash'), { name: 'Lambda.ServiceException' });
      } else {
        emulator.faults.reset();
        inStep = false;
      }
    };
    const documents = s.account.table.documents as unknown as { send: (c: unknown) => Promise<unknown> };
    const send = documents.send.bind(documents);
    documents.send = async (command) => {
      if (inStep && active?.fault.kind === 'dynamodb') throw Object.assign(new Error('injected'), { name: active.fault.error });
      return send(command);
    };
    const publish = s.account.events.publish.bind(s.account.events);
    s.account.events.publish = async (events: readonly GuardEvent[]) => {
      if (inStep && active?.fault.kind === 'eventbridge') {
        if (active.fault.partial && events.length > 1) {
          await publish(events.slice(0, 1));
          throw new EventPublishError(
            'injected FailedEntryCount',
            events.slice(1).map((e) => ({ detailType: e.detailType, errorCode: 'InternalFailure' })),
            [events[0]!.detailType],
          );
        }
        throw new EventPublishError(
          'injected PutEvents failure',
          events.map((e) => ({ detailType: e.detailType, errorCode: 'InternalFailure' })),
        );
      }
      return publish(events);
    };
  });
  afterAll(() => s.close());

  const cells = faultsFor(step).flatMap((fault) => [false, true].map((persistent) => ({ fault, persistent })));
  it.each(cells.map((c) => [`${label(c.fault)}, ${c.persistent ? 'persistent' : 'once'}`, c] as const))(
    '%s',
    async (_name, { fault, persistent }) => {
      cell += 1;
      const name = `${step}-${cell}`;
      const ref = { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, name };
      const firstReport = s.account.starter.reports.length;
      const firstEvent = s.account.events.events.length;
      active = { fault, persistent, armed: 0 };
      await s.createStream(name);
      await s.account.drain();
      active = undefined;
      inStep = false;
      s.account.emulator.emulator.faults.reset();

      const reports = s.account.starter.reports.slice(firstReport);
      expect(reports.length).toBeGreaterThan(0);
      const events = s.account.events.events.slice(firstEvent);
      for (const report of reports) {
        const mine = events.filter((e) => e.detail.correlationId === report.name);
        expect(
          mine.filter((e) => e.detail.kind === 'evaluated'),
          `${report.name}: one Stream Evaluated`,
        ).toHaveLength(1);
        expect(
          mine.filter((e) => ['remediationSucceeded', 'remediationDeferred', 'remediationFailed'].includes(e.detail.kind)).length,
        ).toBeLessThanOrEqual(1);
      }
      const now = s.account.clock.now();
      expect((await s.account.deps.leases.observe(ref, 'nobody', now + 1)).held).toBe(false);
      const lease = await s.account.deps.leases.acquire(ref, 'probe', now, 1_000).catch((e: Error) => e);
      expect(lease, 'no lease stays held').not.toBeInstanceOf(Error);
      await s.account.deps.leases.release(ref, 'probe');
      const accepted = s.acceptedStarts(name);
      const ours = async (at: number) =>
        (await s.account.deps.ledger.calls(ref, at)).filter((c) => c.by === 'remediator' && c.operation === 'Start');
      // Confirmed: exactly the accepted ones. A call of unknown fate (a 5xx) counts for an hour, then goes.
      expect(
        (await ours(now)).filter((c) => c.requestId !== undefined),
        'the ledger holds the Starts Firehose accepted',
      ).toHaveLength(accepted);
      expect((await ours(now + UNCONFIRMED_CALL_MS)).length, 'and nothing else, once calls of unknown fate have aged out').toBe(accepted);
      expect(
        events.filter((e) => e.detail.kind === 'remediationStarted' && (e.detail as { stream: { name: string } }).stream.name === name)
          .length,
      ).toBeLessThanOrEqual(accepted);
      // Unless the fault is for good, the stream ends encrypted, or a retry is on its way.
      const retried = s.account.scheduler.pendingFor(ref).length > 0;
      const last = reports.at(-1)?.output as { status?: string } | undefined;
      // (A Describe that says ResourceNotFound is believed: the stream is GONE.)
      const believedGone = fault.kind === 'firehose' && fault.error === 'ResourceNotFoundException' && last?.status === 'GONE';
      expect(
        last?.status === 'REMEDIATED' || last?.status === 'COMPLIANT' || retried || believedGone,
        `${name}: ${JSON.stringify(last)}`,
      ).toBe(true);
      s.account.scheduler.cancelFor(ref);
    },
  );
});
