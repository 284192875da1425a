import { LEASE_SECONDS } from '../../functions/domain/remediation/bounds.ts';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config.ts';
import { InvalidConfigurationError } from '../../functions/domain/errors.ts';
import { DEFAULT_POLICY } from '../../functions/domain/policy.ts';
import { DEFAULT_WORKFLOW_SETTINGS } from '../../functions/domain/remediation/state.ts';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const base = { STATE_TABLE_NAME: 'state', EVENT_BUS_NAME: 'compliance', AWS_REGION: 'eu-west-1' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as InvalidConfigurationError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration from the environment', () => {
  it('needs only the table, the bus and the region; everything else has a safe default', () => {
    expect(loadConfig(base)).toEqual({
      policy: DEFAULT_POLICY,
      settings: DEFAULT_WORKFLOW_SETTINGS,
      tableName: 'state',
      busName: 'compliance',
      region: 'eu-west-1',
      remediatorRoleArns: [],
      // Derived, not configured: the lease outlives the state machine's timeout (bounds.ts).
      leaseSeconds: LEASE_SECONDS,
      pacedCallsPerSecond: 4.75,
      sweep: { regions: ['eu-west-1'], organization: false, include: [], exclude: [] },
    });
  });

  it("refuses workflow settings whose worst case does not fit in the state machine's timeout", () => {
    expect(() => loadConfig({ ...base, FSG_MAX_POLLS: '100', FSG_MAX_POLL_SECONDS: '3600', FSG_MAX_ATTEMPTS: '10' })).toThrow(
      /workflow settings: their worst case \(\d+ s of waits and task retries\) exceeds the state machine's timeout of 86400 s/,
    );
  });

  it('reads the policy and the workflow settings', () => {
    const config = loadConfig({
      ...base,
      FSG_MODE: 'audit',
      FSG_KEY_TYPE: 'CUSTOMER_MANAGED_CMK',
      FSG_APPROVED_KEY_ARNS: ` ${KEY} ,`,
      FSG_FALLBACK_TO_AWS_OWNED: 'true',
      FSG_EXEMPT_TAG_KEY: 'compliance:skip',
      FSG_EXEMPT_TAG_VALUES: 'yes,true',
      FSG_EXEMPT_NAME_PATTERNS: 'sandbox-*',
      FSG_BUDGET_SHARE: '15',
      FSG_BUDGET_LOW_THRESHOLD: '2',
      FSG_POLL_SECONDS: '20',
      FSG_MAX_ATTEMPTS: '2',
      FSG_REMEDIATOR_ROLE_ARNS: 'arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/b',
    });
    expect(config.policy).toEqual({
      mode: 'audit',
      key: { type: 'CUSTOMER_MANAGED_CMK', approvedKeyArns: [KEY], fallbackToAwsOwned: true },
      exemptions: { tagKey: 'compliance:skip', tagValues: ['yes', 'true'], namePatterns: ['sandbox-*'] },
      budget: { share: 15, lowThreshold: 2 },
    });
    expect(config.settings).toMatchObject({ pollSeconds: 20, maxAttempts: 2 });
    expect(config.remediatorRoleArns).toHaveLength(2);
  });

  it('reports every problem at once', () => {
    expect(
      problemsOf({
        FSG_MODE: 'fix',
        FSG_BUDGET_SHARE: 'lots',
        FSG_POLL_SECONDS: '0',
        FSG_KEY_TYPE: 'CUSTOMER_MANAGED_CMK',
        FSG_FALLBACK_TO_AWS_OWNED: 'maybe',
      }),
    ).toEqual([
      'mode: expected "enforce" or "audit", got "fix"',
      'key.approvedKeyArns: at least one key ARN is required with CUSTOMER_MANAGED_CMK',
      'key.fallbackToAwsOwned: expected a boolean, got "maybe"',
      'budget.share: expected an integer from 1 to 25, got "lots"',
      'FSG_POLL_SECONDS: expected an integer from 1 to 3600, got "0"',
      'STATE_TABLE_NAME: required',
      'EVENT_BUS_NAME: required',
      'AWS_REGION: required',
    ]);
  });
});
