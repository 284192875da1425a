import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { makeSweepHandler } from '../../functions/handlers/sweep.ts';
import { InvalidRequestError } from '../../functions/domain/errors.ts';
import { DynamoSweepResults } from '../../functions/adapters/dynamo/sweep-results.ts';
import { SWEEP_TUNING, type SweepCursor } from '../../functions/domain/sweep/sweep.ts';
import type { WorkflowInput } from '../../functions/domain/remediation/state.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import { runnableDefinition, type Definition } from '../../local/workflow-runner.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { useScenario } from '../support/local-account.ts';

const SWEEP_MACHINE = JSON.parse(readFileSync(new URL('../../infra/sweep-machine.asl.json', import.meta.url), 'utf8')) as Definition;
const { definition, taskFunctions } = runnableDefinition(SWEEP_MACHINE, { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION });
const MACHINE = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:firehose-sse-guard-test-sweep`;

/**
 * Issue 13: "The sweep's continuation never self-throttles: for example, Step Functions or a queue
 * carries the cursor, or the next invocation is scheduled. A sweep resumes from its cursor after a crash."
 */
describe('the sweep state machine (infra/sweep-machine.asl.json)', () => {
  const s = useScenario();

  it('passes asl-validator: plan, every account in parallel, its regions in parallel, each swept in a loop on the sweep Lambda alone, a roll-up', () => {
    const { isValid, errorsText } = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect(isValid, errorsText('\n')).toBe(true);
    expect(taskFunctions).toEqual({
      Plan: 'sweep',
      Targets: 'sweep',
      AccountFailed: 'sweep',
      Sweep: 'sweep',
      TargetFailed: 'sweep',
      RollUp: 'sweep',
    });
    const accounts = SWEEP_MACHINE.States.SweepAccounts as unknown as { ItemProcessor: Definition; MaxConcurrency: number };
    const regions = accounts.ItemProcessor.States.SweepRegions as unknown as { ItemProcessor: Definition; MaxConcurrency: number };
    expect(regions.MaxConcurrency).toBe(0);
    // Nothing per target goes back through the state (at most 256 KB): the results are in the state table.
    expect(accounts).toMatchObject({ ResultPath: null });
    expect(regions.ItemProcessor.States.Swept).toMatchObject({ Type: 'Pass', Parameters: {} });
    expect(regions.ItemProcessor.States.MoreToSweep).toMatchObject({
      Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Sweep' }],
    });
  });

  it('carries the cursor from invocation to invocation, and resumes from it after a crashed one: every stream evaluated once', async () => {
    const firehose = s.account.emulator.emulator.firehose;
    for (let i = 0; i < 60; i += 1)
      firehose.handle('CreateDeliveryStream', { DeliveryStreamName: `swept-${String(i).padStart(3, '0')}`, ...S3_DESTINATION });
    const started: string[] = [];
    const handler = makeSweepHandler({
      ...s.account.deps,
      ...SWEEP_TUNING,
      concurrency: 5,
      starter: {
        start: async (_name: string, input: WorkflowInput) => {
          started.push(input.stream.name);
          return { started: true };
        },
      },
      sleep: (ms) => s.account.time.sleep(ms),
      reserveMs: 60_000,
      results: new DynamoSweepResults(s.account.table),
      settings: { regions: [LOCAL_REGION], account: LOCAL_ACCOUNT_ID },
    }) as unknown as (event: unknown, context: unknown) => Promise<{ done: boolean; cursor: SweepCursor }>;

    // Each invocation has time for a few chunks of 5 streams; the third one crashes after its work.
    const inputs: unknown[] = [];
    let invocations = 0;
    const step = (event: unknown) =>
      handler(event, { getRemainingTimeInMillis: () => 120_000, functionName: 'firehose-sse-guard-sweep', awsRequestId: 'step' });
    const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    const execution = machine.run(
      {},
      {
        context: { Execution: { Name: 'schedule-1', Id: `${MACHINE}:schedule-1` }, StateMachine: { Id: MACHINE } },
        overrides: {
          taskResourceLocalHandlers: {
            Plan: step,
            Targets: step,
            AccountFailed: step,
            TargetFailed: step,
            RollUp: step,
            Sweep: async (event: unknown) => {
              inputs.push(event);
              invocations += 1;
              let checks = 0;
              const output = await handler(event, {
                getRemainingTimeInMillis: () => (checks++ < 2 ? 120_000 : 1_000),
                functionName: 'firehose-sse-guard-sweep',
                awsRequestId: `sweep-${invocations}`,
              });
              if (invocations === 3) throw new Error('the Lambda crashed after its work (its result is lost)');
              return output;
            },
          },
          retryIntervalOverrides: { Plan: 0, Targets: 0, AccountFailed: 0, Sweep: 0, TargetFailed: 0, RollUp: 0 },
        },
      },
    );
    const result = (await execution.result) as { targets: number; failed: number; totals: SweepCursor['totals'] };

    expect(result).toMatchObject({ targets: 1, failed: 0, totals: { streams: 60, REMEDIATE: 60 } });
    const rollUp = s.account.events.ofKind('organizationSnapshot');
    expect(rollUp.map((e) => e.detail)).toMatchObject([{ accounts: 1, targets: 1, totals: { streams: 60, REMEDIATE: 60 } }]);
    expect(s.account.events.ofKind('complianceSnapshot')).toHaveLength(1);
    // The retried invocation got the same cursor as the crashed one: no stream is counted twice.
    expect(inputs[3]).toEqual(inputs[2]);
    // Many invocations (each had time for a few chunks), none of them started by another.
    expect(invocations).toBeGreaterThan(6);
    expect(inputs.every((input) => typeof input === 'object' && input !== null && 'cursor' in input)).toBe(true);
    // The crashed invocation had started workflows already: starting them again is idempotent (one per stream and sweep).
    expect(new Set(started).size).toBe(60);
  });
});

/**
 * Issue 14: "The deployed central sweep covers every member account and every enabled region:
 * accounts from AWS Organizations ListAccounts, with optional include and exclude lists; regions
 * from a parameter, or from the account's enabled regions; each account and region paced by its own
 * quota and run in parallel; one snapshot event per account and region, plus an organization roll-up event."
 */
describe('the organization sweep (infra/sweep-machine.asl.json)', () => {
  const s = useScenario();
  const MEMBER = '210987654321';

  it('sweeps the ACTIVE, not excluded accounts in their enabled regions; a member that refuses us is reported, not fatal', async () => {
    s.account.emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: 'orders', ...S3_DESTINATION });
    const asked: string[] = [];
    const directory = {
      accounts: async () => [
        { id: LOCAL_ACCOUNT_ID, status: 'ACTIVE' },
        { id: MEMBER, status: 'ACTIVE' },
        { id: '333333333333', status: 'SUSPENDED' },
        { id: '444444444444', status: 'ACTIVE' },
      ],
      enabledRegions: async (account: string) => {
        asked.push(account);
        return [LOCAL_REGION];
      },
    };
    const firehose = s.account.deps.firehose;
    let refusals = 0;
    const refusing = {
      ...firehose,
      describe: firehose.describe.bind(firehose),
      tags: firehose.tags.bind(firehose),
      startEncryption: firehose.startEncryption.bind(firehose),
      listNames: async (scope: { account: string; region: string }, options?: { startAfter?: string; limit?: number }) => {
        if (scope.account === MEMBER) {
          refusals += 1;
          throw new InvalidRequestError(`AccessDenied: not authorized to perform sts:AssumeRole in ${MEMBER}`);
        }
        return firehose.listNames(scope, options);
      },
    };
    const handler = makeSweepHandler({
      ...s.account.deps,
      firehose: refusing,
      ...SWEEP_TUNING,
      starter: { start: async () => ({ started: true }) },
      sleep: (ms) => s.account.time.sleep(ms),
      reserveMs: 0,
      directory,
      results: new DynamoSweepResults(s.account.table),
      settings: { regions: 'enabled', account: LOCAL_ACCOUNT_ID, organization: true, include: [], exclude: ['444444444444'] },
    }) as unknown as (event: unknown, context: unknown) => Promise<never>;
    const step = (event: unknown) =>
      handler(event, { getRemainingTimeInMillis: () => 120_000, functionName: 'firehose-sse-guard-sweep', awsRequestId: 'step' });
    const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    const execution = machine.run(
      {},
      {
        context: { Execution: { Name: 'nightly', Id: `${MACHINE}:nightly` }, StateMachine: { Id: MACHINE } },
        overrides: {
          taskResourceLocalHandlers: { Plan: step, Targets: step, AccountFailed: step, Sweep: step, TargetFailed: step, RollUp: step },
          retryIntervalOverrides: { Plan: 0, Targets: 0, AccountFailed: 0, Sweep: 0, TargetFailed: 0, RollUp: 0 },
        },
      },
    );
    await execution.result;

    expect(asked.sort()).toEqual([LOCAL_ACCOUNT_ID, MEMBER]);
    expect(s.account.events.ofKind('complianceSnapshot').map((e) => e.detail)).toMatchObject([
      { account: LOCAL_ACCOUNT_ID, regions: [LOCAL_REGION], totals: { streams: 1, REMEDIATE: 1 } },
    ]);
    const [rollUp] = s.account.events.ofKind('organizationSnapshot');
    expect(rollUp?.detail).toMatchObject({
      sweepId: 'sweep-nightly',
      accounts: 2,
      targets: 1,
      totals: { streams: 1, REMEDIATE: 1 },
      byTarget: [{ account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION, streams: 1, nonCompliant: 1 }],
      failed: [
        { account: MEMBER, region: LOCAL_REGION, error: expect.stringMatching(/^InvalidRequestError: AccessDenied: not authorized/) },
      ],
    });
    // A refusal is not retried (InvalidRequestError): one invocation for the refusing target.
    expect(refusals).toBe(1);
  });
});

// Review of issue 14: a sweep of a large organization can outlast the schedule's period; two at once halve each other's pacing.
describe('one sweep at a time (infra/sweep-machine.asl.json: Plan, AlreadySweeping)', () => {
  const s = useScenario();

  it('skips while another execution of the sweep state machine runs: no target swept, no event', async () => {
    const asked: [string, string][] = [];
    const invoked: string[] = [];
    const handler = makeSweepHandler({
      ...s.account.deps,
      ...SWEEP_TUNING,
      starter: { start: async () => ({ started: true }) },
      sleep: (ms) => s.account.time.sleep(ms),
      reserveMs: 0,
      results: new DynamoSweepResults(s.account.table),
      runs: {
        othersRunning: async (machine, own) => {
          asked.push([machine, own]);
          return true;
        },
      },
      settings: { regions: [LOCAL_REGION], account: LOCAL_ACCOUNT_ID },
    }) as unknown as (event: unknown, context: unknown) => Promise<never>;
    const step = (name: string) => (event: unknown) => {
      invoked.push(name);
      return handler(event, { getRemainingTimeInMillis: () => 120_000, functionName: 'firehose-sse-guard-sweep', awsRequestId: 'step' });
    };
    const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    const execution = machine.run(
      {},
      {
        context: { Execution: { Name: 'late', Id: `${MACHINE}:late` }, StateMachine: { Id: MACHINE } },
        overrides: {
          taskResourceLocalHandlers: {
            Plan: step('Plan'),
            Targets: step('Targets'),
            AccountFailed: step('AccountFailed'),
            Sweep: step('Sweep'),
            TargetFailed: step('TargetFailed'),
            RollUp: step('RollUp'),
          },
        },
      },
    );
    expect(await execution.result).toMatchObject({ skipped: true, accounts: [] });
    expect(asked).toEqual([[MACHINE, `${MACHINE}:late`]]);
    expect(invoked).toEqual(['Plan']);
    expect(s.account.events.events).toEqual([]);
  });
});
