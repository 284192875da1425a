import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import * as errors from '../../functions/domain/errors.ts';
import { runnableDefinition, STATE_MACHINE_FILE, type Definition } from '../../local/workflow-runner.ts';

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
const PHASES = ['INSPECT', 'WAIT_BUSY', 'ENABLE', 'WAIT_RETRY', 'WAIT_BUDGET', 'POLL', 'SETTLE', 'CONCLUDE'];

function successors(state: State): string[] {
  return [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(
    (n): n is string => typeof n === 'string',
  );
}

describe('the state machine definition (infra/state-machine.asl.json)', () => {
  it('passes asl-validator, paths and ARNs checked', () => {
    const result = aslValidator(runnableDefinition(definition, { account: '123456789012', region: 'us-east-1' }).definition, { checkPaths: true, checkArn: true });
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
        for (const error of rule.ErrorEquals) expect(known.has(error) || error.startsWith('Lambda.'), `${name}: ${error}`).toBe(true);
        expect(rule.ErrorEquals, `${name}: no blind retry of everything`).not.toContain('States.ALL');
      }
      const catches = state.Catch ?? [];
      expect(catches.at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
    }
  });

  it('sends every caught error to Conclude (or, from Conclude itself, to a visible failure)', () => {
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Catch)) {
      const target = state.Catch?.at(-1)?.Next;
      expect(target, name).toBe(name === 'Conclude' ? 'ConcludeFailed' : 'Conclude');
    }
    const intoDone = Object.entries(states).filter(([, s]) => successors(s).includes('Done')).map(([n]) => n);
    expect(intoDone).toEqual(['Conclude']);
  });

  it('bounds every loop: each cycle runs through a Task (which keeps the counters), and the execution has a timeout', () => {
    const withoutTasks = Object.fromEntries(Object.entries(states).filter(([, s]) => s.Type !== 'Task'));
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycleFree = (name: string): boolean => {
      if (done.has(name)) return true;
      if (visiting.has(name)) return false;
      visiting.add(name);
      const ok = successors(withoutTasks[name] as State).filter((n) => n in withoutTasks).every(cycleFree);
      visiting.delete(name);
      done.add(name);
      return ok;
    };
    expect(Object.keys(withoutTasks).every(cycleFree)).toBe(true);
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('routes only on the phases the tasks produce, and waits only as the tasks ask', () => {
    for (const state of Object.values(states).filter((s) => s.Type === 'Choice')) {
      for (const choice of state.Choices ?? []) {
        expect(choice.Variable).toBe('$.phase');
        expect(PHASES).toContain(choice.StringEquals);
      }
      expect(state.Default).toBe('Conclude');
    }
    for (const state of Object.values(states).filter((s) => s.Type === 'Wait')) {
      expect([state.SecondsPath, state.TimestampPath].filter(Boolean)).toEqual([expect.stringMatching(/^\$\.wait\.(seconds|until)$/)]);
    }
  });
});
