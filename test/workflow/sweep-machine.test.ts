import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { makeSweepHandler } from '../../functions/handlers/sweep.ts';
import { SWEEP_TUNING, type SweepCursor } from '../../functions/domain/sweep/sweep.ts';
import type { WorkflowInput } from '../../functions/domain/remediation/state.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/account.ts';
import { runnableDefinition, type Definition } from '../../local/workflow-runner.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { useScenario } from '../support/local-account.ts';

const SWEEP_MACHINE = JSON.parse(readFileSync(new URL('../../infra/sweep-machine.asl.json', import.meta.url), 'utf8')) as Definition;
const { definition, taskFunctions } = runnableDefinition(SWEEP_MACHINE, { account: LOCAL_ACCOUNT_ID, region: LOCAL_REGION });

/**
 * Issue 13: "The sweep's continuation never self-throttles: for example, Step Functions or a queue
 * carries the cursor, or the next invocation is scheduled. A sweep resumes from its cursor after a crash."
 */
describe('the sweep state machine (infra/sweep-machine.asl.json)', () => {
  const s = useScenario();

  it('passes asl-validator, and loops on the sweep Lambda alone', () => {
    const { isValid, errorsText } = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect(isValid, errorsText('\n')).toBe(true);
    expect(Object.values(taskFunctions)).toEqual(['sweep']);
    expect(SWEEP_MACHINE.States.MoreToSweep).toMatchObject({ Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Sweep' }] });
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
      settings: { regions: [LOCAL_REGION], account: LOCAL_ACCOUNT_ID },
    }) as unknown as (event: unknown, context: unknown) => Promise<{ done: boolean; cursor: SweepCursor }>;

    // Each invocation has time for a few chunks of 5 streams; the third one crashes after its work.
    const inputs: unknown[] = [];
    let invocations = 0;
    const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    const execution = machine.run(
      { id: 'schedule-1' },
      {
        overrides: {
          taskResourceLocalHandlers: {
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
          retryIntervalOverrides: { Sweep: 0 },
        },
      },
    );
    const result = (await execution.result) as { done: boolean; cursor: SweepCursor };

    expect(result.done).toBe(true);
    expect(result.cursor.totals).toMatchObject({ streams: 60, REMEDIATE: 60 });
    // The retried invocation got the same cursor as the crashed one: no stream is counted twice.
    expect(inputs[3]).toEqual(inputs[2]);
    // Many invocations (each had time for a few chunks), none of them started by another.
    expect(invocations).toBeGreaterThan(6);
    expect(inputs.slice(1).every((input) => typeof input === 'object' && input !== null && 'cursor' in input)).toBe(true);
    // The crashed invocation had started workflows already: starting them again is idempotent (one per stream and sweep).
    expect(new Set(started).size).toBe(60);
  });
});
