import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../functions/domain/errors.ts';
import { ROLL_UP_LIST_LIMIT } from '../../../functions/domain/events.ts';
import { accountTargets, planSweep, rollUp, targetCursor, type SweepScope } from '../../../functions/domain/sweep/organization.ts';

const NOW = Date.parse('2026-11-30T06:00:00Z');
const HOME = '123456789012';
const scope = (fields: Partial<SweepScope> = {}): SweepScope => ({
  home: HOME,
  accounts: 'organization',
  include: [],
  exclude: [],
  regions: ['eu-west-1', 'us-east-1'],
  ...fields,
});
const directory = (accounts: [string, string][], regions: Record<string, string[]> = {}) => ({
  accounts: async () => accounts.map(([id, status]) => ({ id, status })),
  enabledRegions: async (account: string) => regions[account] ?? [],
});
const ORG = directory([
  ['333333333333', 'ACTIVE'],
  [HOME, 'ACTIVE'],
  ['210987654321', 'ACTIVE'],
  ['444444444444', 'SUSPENDED'],
  ['555555555555', 'PENDING_CLOSURE'],
]);

describe('planSweep: the accounts a sweep covers', () => {
  it('an account sweep is the home account alone, and never asks the organization', async () => {
    const plan = await planSweep('sweep-1', NOW, scope({ accounts: 'account' }), undefined);
    expect(plan).toEqual({ sweepId: 'sweep-1', startedAt: NOW, accounts: [{ sweepId: 'sweep-1', startedAt: NOW, account: HOME }] });
  });

  it('an organization sweep takes the ACTIVE accounts of ListAccounts, the home account first, then in order', async () => {
    const plan = await planSweep('sweep-1', NOW, scope(), ORG);
    expect(plan.accounts.map((a) => a.account)).toEqual([HOME, '210987654321', '333333333333']);
  });

  it('narrows to the include list and drops the exclude list (exclude wins); an included account the organization lacks is not swept', async () => {
    const plan = await planSweep(
      's',
      NOW,
      scope({ include: ['210987654321', '333333333333', '999999999999'], exclude: ['333333333333'] }),
      ORG,
    );
    expect(plan.accounts.map((a) => a.account)).toEqual(['210987654321']);
  });

  it('refuses an organization sweep without a directory, naming why', async () => {
    await expect(planSweep('s', NOW, scope(), undefined)).rejects.toThrow(MalformedEventError);
  });
});

describe("accountTargets: an account's regions", () => {
  const item = { sweepId: 's', startedAt: NOW, account: '210987654321' };

  it('are the configured regions, one target each', async () => {
    expect(await accountTargets(item, scope(), undefined)).toEqual([
      { ...item, region: 'eu-west-1' },
      { ...item, region: 'us-east-1' },
    ]);
  });

  it("or the account's enabled regions, sorted", async () => {
    const targets = await accountTargets(
      item,
      scope({ regions: 'enabled' }),
      directory([], { '210987654321': ['us-east-1', 'ap-south-2'] }),
    );
    expect(targets.map((t) => t.region)).toEqual(['ap-south-2', 'us-east-1']);
  });

  it("a target's first cursor covers its account and region alone, from the sweep's start", () => {
    expect(targetCursor({ ...item, region: 'eu-west-1' })).toMatchObject({
      sweepId: 's',
      account: '210987654321',
      regions: ['eu-west-1'],
      regionIndex: 0,
      startedAt: NOW,
      invocations: 0,
    });
  });
});

describe('rollUp: the Organization Compliance Snapshot', () => {
  const totals = (streams: number, remediate: number) => ({
    streams,
    COMPLIANT: streams - remediate,
    NOT_APPLICABLE: 0,
    EXEMPT: 0,
    GONE: 0,
    BUSY: 0,
    REMEDIATE: remediate,
  });

  it('sums every target, lists the worst first, and names the failures', () => {
    const event = rollUp(
      'sweep-1',
      NOW,
      [
        { account: HOME, region: 'us-east-1', totals: totals(10, 1), workflowsStarted: 1 },
        { account: HOME, region: 'eu-west-1', totals: totals(5, 3), workflowsStarted: 3 },
        { account: '210987654321', region: 'us-east-1', error: 'InvalidRequestError: AccessDenied' },
        { account: '333333333333', error: 'States.TaskFailed: no member role' },
      ],
      NOW + 60_000,
    );
    expect(event.detailType).toBe('Organization Compliance Snapshot');
    expect(event.detail).toMatchObject({
      sweepId: 'sweep-1',
      startedAt: '2026-11-30T06:00:00.000Z',
      accounts: 3,
      targets: 2,
      totals: totals(15, 4),
      workflowsStarted: 4,
      byTarget: [
        { account: HOME, region: 'eu-west-1', streams: 5, nonCompliant: 3 },
        { account: HOME, region: 'us-east-1', streams: 10, nonCompliant: 1 },
      ],
      failed: [
        { account: '210987654321', region: 'us-east-1', error: 'InvalidRequestError: AccessDenied' },
        { account: '333333333333', error: 'States.TaskFailed: no member role' },
      ],
      truncated: false,
    });
  });

  it(`lists at most ${ROLL_UP_LIST_LIMIT} targets and says it truncated; the totals still count every one`, () => {
    const many = Array.from({ length: ROLL_UP_LIST_LIMIT + 7 }, (_, i) => ({
      account: String(100000000000 + i),
      region: 'us-east-1',
      totals: totals(2, i % 2),
    }));
    const { detail } = rollUp('s', NOW, many, NOW);
    expect(detail.byTarget).toHaveLength(ROLL_UP_LIST_LIMIT);
    expect(detail.truncated).toBe(true);
    expect(detail.totals.streams).toBe(2 * (ROLL_UP_LIST_LIMIT + 7));
    expect(detail.byTarget[0]?.nonCompliant).toBe(1);
  });
});
