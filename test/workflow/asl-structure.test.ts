import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import * as errors from '../../functions/domain/errors.ts';
import { runnableDefinition, STATE_MACHINE_FILE, type Definition } from '../../local/workflow-runner.ts';
import {
  EXECUTION_TIMEOUT_SECONDS,
  LEASE_SECONDS,
  TASK_RETRY,
  worstCaseExecutionSeconds,
} from '../../functions/domain/remediation/bounds.ts';
import { DEFAULT_WORKFLOW_SETTINGS } from '../../functions/domain/remediation/state.ts';

type State = {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string; StringEquals?: string; Variable?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  SecondsPath?: string;
  TimestampPath?: string;
};

const definition = JSON.parse(readFileSync(STATE_MACHINE_FILE, 'utf8')) as Definition & { StartAt: string; TimeoutSeconds?: number };
const states = definition.States as Record<string, State>;
const PHASES = ['INSPECT', 'WAIT_BUSY', 'ENABLE', 'WAIT_RETRY', 'WAIT_BUDGET', 'POLL', 'SETTLE', 'WAIT_SLOT', 'CONCLUDE'];
/** DynamoDB's own retryable errors, as the SDK names them once its retries are spent. */
const DYNAMODB_RETRYABLE = [
  'InternalServerError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'TransactionConflictException',
];

function successors(state: State): string[] {
  return [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(
    (n): n is string => typeof n === 'string',
  );
}

describe('the state machine definition (infra/state-machine.asl.json)', () => {
  it('passes asl-validator, paths and ARNs checked', () => {
    const result = aslValidator(runnableDefinition(definition, { account: '123456789012', region: 'us-east-1' }).definition, {
      checkPaths: true,
      checkArn: true,
    });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('reaches every state from StartAt', () => {
    const seen = new Set<string>();
    const queue = [definition.StartAt];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      queue.push(...successors(states[name] as State));
    }
    expect([...seen].sort()).toEqual(Object.keys(states).sort());
  });

  it('gives every Task a Retry for transient errors and a Catch-all, with stable domain error names', () => {
    const known = new Set(Object.keys(errors));
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      for (const rule of state.Retry ?? []) {
        expect(rule.MaxAttempts, name).toBeGreaterThan(0);
        for (const error of rule.ErrorEquals)
          expect(known.has(error) || error.startsWith('Lambda.') || DYNAMODB_RETRYABLE.includes(error), `${name}: ${error}`).toBe(true);
        expect(rule.ErrorEquals, `${name}: no blind retry of everything`).not.toContain('States.ALL');
      }
      // A raw DynamoDB failure (e.g. InternalServerError) is retried, not final.
      expect(state.Retry?.[0]?.ErrorEquals, name).toEqual(expect.arrayContaining(DYNAMODB_RETRYABLE));
      const catches = state.Catch ?? [];
      expect(catches.at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
    }
  });

  it('sends every caught error to Conclude (or, from Conclude itself, to a visible failure)', () => {
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Catch)) {
      const target = state.Catch?.at(-1)?.Next;
      expect(target, name).toBe(name === 'Conclude' ? 'ConcludeFailed' : 'Conclude');
    }
    const intoDone = Object.entries(states)
      .filter(([, s]) => successors(s).includes('Done'))
      .map(([n]) => n);
    expect(intoDone).toEqual(['RouteAfterConclude']);
    expect(states.Conclude?.Next).toBe('RouteAfterConclude');
  });

  it('bounds every loop: each cycle runs through a Task (which keeps the counters), and the execution has a timeout', () => {
    const withoutTasks = Object.fromEntries(Object.entries(states).filter(([, s]) => s.Type !== 'Task'));
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycleFree = (name: string): boolean => {
      if (done.has(name)) return true;
      if (visiting.has(name)) return false;
      visiting.add(name);
      const ok = successors(withoutTasks[name] as State)
        .filter((n) => n in withoutTasks)
        .every(cycleFree);
      visiting.delete(name);
      done.add(name);
      return ok;
    };
    expect(Object.keys(withoutTasks).every(cycleFree)).toBe(true);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('routes only on the phases the tasks produce, and waits only as the tasks ask', () => {
    // After a wait for a slot of the shared pacing: back to the task that waited (Check), else Inspect.
    expect(states.WaitSlot?.Next).toBe('RouteAfterSlot');
    expect(states.RouteAfterSlot?.Default).toBe('Inspect');
    expect(JSON.stringify(states.RouteAfterSlot?.Choices)).toBe(
      JSON.stringify([
        {
          And: [
            { Variable: '$.resume', IsPresent: true },
            { Variable: '$.resume', StringEquals: 'CHECK' },
          ],
          Next: 'Check',
        },
      ]),
    );
    for (const state of Object.values(states).filter((s) => s.Type === 'Choice' && s !== states.RouteAfterSlot)) {
      for (const choice of state.Choices ?? []) {
        expect(choice.Variable).toBe('$.phase');
        expect(PHASES).toContain(choice.StringEquals);
      }
      // After Conclude: Done, unless triggers arrived (back to Inspect).
      expect(state.Default).toBe(state === states.RouteAfterConclude ? 'Done' : 'Conclude');
    }
    for (const state of Object.values(states).filter((s) => s.Type === 'Wait')) {
      expect([state.SecondsPath, state.TimestampPath].filter(Boolean)).toEqual([expect.stringMatching(/^\$\.wait\.(seconds|until)$/)]);
    }
  });

  it("sends every Start through a fresh Inspect: Enable is entered only from Inspect's route (DESIGN invariant 2)", () => {
    const intoEnable = Object.entries(states)
      .filter(([, s]) => successors(s).includes('Enable'))
      .map(([n]) => n);
    expect(intoEnable).toEqual(['RouteAfterInspect']);
    expect(states.WaitRetry?.Next).toBe('Inspect');
    expect(states.WaitSettle?.Next).toBe('Inspect');
  });

  it("has one set of numbers: TimeoutSeconds is the domain's, the lease outlives it, and the worst case fits in it", () => {
    expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
    expect(LEASE_SECONDS).toBeGreaterThan(EXECUTION_TIMEOUT_SECONDS);
    expect(worstCaseExecutionSeconds(DEFAULT_WORKFLOW_SETTINGS)).toBeLessThanOrEqual(EXECUTION_TIMEOUT_SECONDS);
    // The task retries the bound assumes are those of the ASL.
    for (const state of Object.values(states).filter((s) => s.Type === 'Task')) {
      const invocations = 1 + (state.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
      expect(invocations).toBe(TASK_RETRY.invocations);
    }
  });
});
