import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../functions/domain/errors.ts';
import type { GuardEvent } from '../../../functions/domain/events.ts';
import { SWEEP_TUNING } from '../../../functions/domain/sweep/sweep.ts';
import { makeSweepHandler, type SweepSettings } from '../../../functions/handlers/sweep.ts';
import { parsePolicy } from '../../../functions/domain/policy.ts';
import { MemoryControlPlanePacer } from '../../../local/memory-pacer.ts';

const NOW = Date.parse('2026-11-30T06:00:00Z');
const HOME = '123456789012';
const CONTEXT = { getRemainingTimeInMillis: () => 60_000, invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:guard-sweep` };

/** The sweep Lambda's steps other than a target's sweep, with fakes for everything they do not use. */
function sweepLambda(settings: SweepSettings, accounts: [string, string][] = []) {
  const published: GuardEvent[] = [];
  const unused = () => Promise.reject(new Error('not used by this step'));
  const handler = makeSweepHandler({
    firehose: { describe: unused, tags: unused, listNames: unused, startEncryption: unused },
    leases: {
      acquire: unused,
      noteTrigger: unused,
      takeOver: unused,
      observe: unused,
      release: unused,
    },
    starter: { start: unused },
    publisher: { publish: async (events) => void published.push(...events) },
    clock: { now: () => NOW },
    policy: parsePolicy({}),
    pacer: new MemoryControlPlanePacer(5),
    sleep: async () => {},
    reserveMs: 0,
    ...SWEEP_TUNING,
    settings,
    directory: {
      accounts: async () => accounts.map(([id, status]) => ({ id, status })),
      enabledRegions: async () => ['eu-west-1', 'us-east-1'],
    },
  }) as unknown as (event: unknown, context: unknown) => Promise<unknown>;
  return { step: (event: unknown) => handler(event, CONTEXT), published };
}

describe('the sweep Lambda: the steps of the sweep state machine', () => {
  it('plans the home account alone without organizationId, the ACTIVE accounts with it', async () => {
    expect(await sweepLambda({ regions: ['eu-west-1'] }).step({ action: 'plan', id: 'nightly' })).toEqual({
      sweepId: 'sweep-nightly',
      startedAt: NOW,
      accounts: [{ sweepId: 'sweep-nightly', startedAt: NOW, account: HOME }],
    });
    const org = sweepLambda({ regions: 'enabled', organization: true, exclude: ['333333333333'] }, [
      ['210987654321', 'ACTIVE'],
      ['333333333333', 'ACTIVE'],
      ['444444444444', 'SUSPENDED'],
      [HOME, 'ACTIVE'],
    ]);
    const plan = (await org.step({ action: 'plan', id: 'nightly' })) as { accounts: { account: string }[] };
    expect(plan.accounts.map((a) => a.account)).toEqual([HOME, '210987654321']);
  });

  it("gives an account's targets as first cursors, one per enabled region", async () => {
    const { step } = sweepLambda({ regions: 'enabled', organization: true });
    const out = (await step({ action: 'targets', sweepId: 's', startedAt: NOW, account: '210987654321' })) as {
      targets: { cursor: { account: string; regions: string[]; invocations: number } }[];
    };
    expect(out.targets.map((t) => [t.cursor.account, t.cursor.regions, t.cursor.invocations])).toEqual([
      ['210987654321', ['eu-west-1'], 0],
      ['210987654321', ['us-east-1'], 0],
    ]);
  });

  it("rolls up the Map's results (an account's list of targets, or one failed account) into one event", async () => {
    const { step, published } = sweepLambda({ regions: ['eu-west-1'] });
    const totals = { streams: 2, COMPLIANT: 1, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 1 };
    const out = await step({
      action: 'rollUp',
      sweepId: 's',
      startedAt: NOW - 60_000,
      results: [
        [{ account: HOME, region: 'eu-west-1', totals, workflowsStarted: 1 }],
        { account: '210987654321', error: 'States.TaskFailed: no role' },
      ],
    });
    expect(out).toMatchObject({ rolledUp: true, targets: 1, failed: 1 });
    expect(published.map((e) => e.detailType)).toEqual(['Organization Compliance Snapshot']);
  });

  it.each([
    ['an unknown action', { action: 'explode' }],
    ['targets of an account that is not 12 digits', { action: 'targets', sweepId: 's', startedAt: NOW, account: '12345' }],
    ['a roll-up without results', { action: 'rollUp', sweepId: 's', startedAt: NOW }],
    ['a roll-up whose results are not summaries', { action: 'rollUp', sweepId: 's', startedAt: NOW, results: ['oops'] }],
  ])('refuses %s by name (MalformedEventError: the state machine does not retry it), publishing nothing', async (_what, event) => {
    const { step, published } = sweepLambda({ regions: ['eu-west-1'] });
    await expect(step(event)).rejects.toThrow(MalformedEventError);
    expect(published).toEqual([]);
  });
});
