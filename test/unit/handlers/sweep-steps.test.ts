import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../functions/domain/errors.ts';
import type { GuardEvent } from '../../../functions/domain/events.ts';
import { newSweep, SWEEP_TUNING } from '../../../functions/domain/sweep/sweep.ts';
import { makeSweepHandler, type SweepSettings } from '../../../functions/handlers/sweep.ts';
import { parsePolicy } from '../../../functions/domain/policy.ts';
import type { SweepResults, TargetSummary } from '../../../functions/domain/ports.ts';
import { MemoryControlPlanePacer } from '../../../local/memory-pacer.ts';

const NOW = Date.parse('2026-11-30T06:00:00Z');
const HOME = '123456789012';
const CONTEXT = { getRemainingTimeInMillis: () => 60_000, invokedFunctionArn: `arn:aws:lambda:eu-west-1:${HOME}:function:guard-sweep` };

/** The sweep Lambda's steps other than a target's sweep, with fakes for everything they do not use. */
function sweepLambda(settings: SweepSettings, accounts: [string, string][] = []) {
  const published: GuardEvent[] = [];
  const recorded = new Map<string, TargetSummary>();
  const results: SweepResults = {
    record: async (sweepId, summary) => void recorded.set(`${sweepId} ${summary.account}/${summary.region ?? ''}`, summary),
    list: async (sweepId) => [...recorded.entries()].filter(([k]) => k.startsWith(`${sweepId} `)).map(([, v]) => v),
  };
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
    results,
    directory: {
      accounts: async () => accounts.map(([id, status]) => ({ id, status })),
      enabledRegions: async () => ['eu-west-1', 'us-east-1'],
    },
  }) as unknown as (event: unknown, context: unknown) => Promise<unknown>;
  return { step: (event: unknown) => handler(event, CONTEXT), published, recorded };
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

  it('records a caught failure with the message out of its Cause, cut short, and rolls up what was recorded', async () => {
    const { step, published, recorded } = sweepLambda({ regions: ['eu-west-1'] });
    const totals = { streams: 2, COMPLIANT: 1, NOT_APPLICABLE: 0, EXEMPT: 0, GONE: 0, BUSY: 0, REMEDIATE: 1 };
    recorded.set(`s ${HOME}/eu-west-1`, { account: HOME, region: 'eu-west-1', totals, workflowsStarted: 1 });
    const cause = JSON.stringify({
      errorType: 'InvalidRequestError',
      errorMessage: `AccessDenied ${'x'.repeat(1_000)}`,
      trace: ['at a', 'at b'],
    });
    expect(
      await step({
        action: 'failed',
        sweepId: 's',
        account: '210987654321',
        region: 'eu-west-1',
        failure: { Error: 'InvalidRequestError', Cause: cause },
      }),
    ).toEqual({});
    // A failure with no Cause at all (Step Functions may give none) is still recorded.
    await step({ action: 'failed', sweepId: 's', account: '333333333333', failure: {} });
    const out = await step({
      action: 'rollUp',
      sweepId: 's',
      startedAt: NOW - 60_000,
      accounts: [{ account: HOME }, { account: '210987654321' }, { account: '333333333333' }, { account: '444444444444' }],
    });
    expect(out).toMatchObject({ rolledUp: true, targets: 1, failed: 3 });
    const [event] = published;
    expect(event?.detailType).toBe('Organization Compliance Snapshot');
    const failed = (event?.detail as { failed: { account: string; error: string }[] }).failed;
    expect(failed.map((f) => f.account)).toEqual(['210987654321', '333333333333', '444444444444']);
    expect(failed[0]?.error).toMatch(/^InvalidRequestError: AccessDenied x+$/);
    expect(failed[0]?.error.length).toBe(300);
    expect(failed[1]?.error).toBe('States.TaskFailed: ');
    // A planned account with no recorded result at all is reported, never silently left out.
    expect(failed[2]?.error).toMatch(/no result recorded/);
  });

  it.each([
    ['an unknown action', { action: 'explode' }],
    ['targets of an account that is not 12 digits', { action: 'targets', sweepId: 's', startedAt: NOW, account: '12345' }],
    ['a roll-up without the planned accounts', { action: 'rollUp', sweepId: 's', startedAt: NOW }],
    ['a roll-up whose accounts are not accounts', { action: 'rollUp', sweepId: 's', startedAt: NOW, accounts: ['oops'] }],
    ['a failure without its Catch result', { action: 'failed', sweepId: 's', account: HOME }],
  ])('refuses %s by name (MalformedEventError: the state machine does not retry it), publishing nothing', async (_what, event) => {
    const { step, published } = sweepLambda({ regions: ['eu-west-1'] });
    await expect(step(event)).rejects.toThrow(MalformedEventError);
    expect(published).toEqual([]);
  });
});

// Review of issue 14: the sweep took any account's cursor; the intake refuses what is outside the deployment, and so does the sweep now.
describe("the sweep Lambda refuses a cursor for an account outside the deployment's scope", () => {
  const cursor = (account: string) => ({ cursor: newSweep('s', account, ['eu-west-1'], NOW) });

  it.each([
    ['another account without organizationId', { regions: ['eu-west-1'] }, '210987654321', /not this account/],
    ['an excluded account', { regions: ['eu-west-1'], organization: true, exclude: ['210987654321'] }, '210987654321', /excluded/],
    [
      'an account not in the include list',
      { regions: ['eu-west-1'], organization: true, include: [HOME] },
      '210987654321',
      /not in this deployment/,
    ],
  ] as const)('%s', async (_what, settings, account, why) => {
    const { step, published } = sweepLambda(settings as unknown as SweepSettings);
    await expect(step(cursor(account))).rejects.toThrow(why);
    expect(published).toEqual([]);
  });
});
