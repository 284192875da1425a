import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT_ID, LOCAL_MEMBER_ROLE_NAME } from '../../local/account.ts';
import { ORGANIZATION_MEMBERS, ORGANIZATION_REGIONS, runOrganizationScenario } from '../../local/organization-scenario.ts';
import { renderReport } from '../../local/report-html.ts';

/**
 * Issue 14: "`npm start` (or `npm start -- --org`) runs an organization on the embedded account: at
 * least 3 accounts × 2 regions. The central sweep reaches members through assumed roles on the
 * emulator, and members' events are forwarded. The report groups streams by account and region.
 * Every stream converges as expected."
 */
describe('npm start -- --org: an organization on the embedded account', () => {
  it('converges in 3 accounts × 2 regions, through the member roles, with forwarded events and the guardrail', async () => {
    const starts: { account: string; region: string; actor: string }[] = [];
    const result = await runOrganizationScenario({
      beforeClose: async (account) => {
        for (const cell of account.emulator.emulator.cells())
          for (const e of cell.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' })) {
            const identity = e.detail.userIdentity as { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
            starts.push({
              account: cell.account,
              region: cell.region,
              actor: identity.sessionContext?.sessionIssuer?.arn ?? identity.arn ?? '',
            });
          }
      },
    });

    const accounts = [LOCAL_ACCOUNT_ID, ...ORGANIZATION_MEMBERS];
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    expect(ORGANIZATION_REGIONS.length).toBeGreaterThanOrEqual(2);
    expect(result.streams.filter((s) => !s.ok)).toEqual([]);
    expect(result.converged).toBe(true);
    for (const account of accounts)
      for (const region of ORGANIZATION_REGIONS)
        expect(
          result.streams.some((s) => s.account === account && s.region === region && s.lastOutcome === 'REMEDIATED'),
          `${account} ${region}`,
        ).toBe(true);

    // Each sweep: one Compliance Snapshot per account and region, and one roll-up over all of them.
    const snapshots = result.events.filter((e) => e.detail.kind === 'complianceSnapshot');
    expect(snapshots).toHaveLength(2 * accounts.length * ORGANIZATION_REGIONS.length);
    expect(result.rollUps.map((r) => [r.detail.accounts, r.detail.targets, r.detail.failed.length])).toEqual([
      [3, 6, 0],
      [3, 6, 0],
    ]);
    expect(result.rollUps[1]?.detail.totals.REMEDIATE).toBe(0);

    // Members were remediated as their member role (STS on the emulator), the home account as the remediator.
    const memberStarts = starts.filter((s) => s.account !== LOCAL_ACCOUNT_ID);
    expect(memberStarts.length).toBeGreaterThan(0);
    for (const s of memberStarts) expect(s.actor).toBe(`arn:aws:iam::${s.account}:role/${LOCAL_MEMBER_ROLE_NAME}`);

    // The member's new streams came in through its forwarded CloudTrail events, not the sweep.
    const forwarded = result.events.filter(
      (e) => e.detail.kind === 'remediationSucceeded' && (e.detail as { stream: { name: string } }).stream.name.endsWith('-new'),
    );
    expect(forwarded).toHaveLength(2);
    // The guardrail refused a person's Stop; the break-glass role's went through and was remediated.
    expect(result.deniedStop).toMatch(/^AccessDeniedException: .*explicit deny in a service control policy/);
    expect(result.events.filter((e) => e.detail.kind === 'driftDetected')).toHaveLength(1);

    const html = renderReport({ title: 'organization', events: result.events, streams: result.streams, converged: result.converged });
    const places = [...html.matchAll(/<tr class="place" data-account="(\d+)" data-region="([a-z0-9-]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(places).toEqual(accounts.flatMap((a) => ORGANIZATION_REGIONS.map((r) => `${a} ${r}`)).sort());
  }, 60_000);
});
