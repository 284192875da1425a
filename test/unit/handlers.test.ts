import { describe, expect, it } from 'vitest';
import { checkDeps, concludeDeps, enableDeps, inspectDeps } from '../../functions/handlers/wiring.ts';
import { handler as inspect } from '../../functions/handlers/inspect.ts';
import { InvalidConfigurationError } from '../../functions/domain/errors.ts';
import type { GuardConfig } from '../../functions/config.ts';

describe('Lambda entry points', () => {
  it('wire each function with only the adapters its use case takes, from the configuration, making no AWS call', () => {
    const config: GuardConfig = {
      policy: {
        mode: 'enforce',
        key: { type: 'AWS_OWNED_CMK' },
        exemptions: { tagKey: 'x', tagValues: ['true'], namePatterns: [] },
        budget: { share: 20, lowThreshold: 5 },
      },
      settings: {
        pollSeconds: 1,
        maxPollSeconds: 1,
        maxPolls: 1,
        maxAttempts: 1,
        retrySeconds: 1,
        busyWaitSeconds: 1,
        maxBusyWaits: 1,
        budgetWaitHorizonSeconds: 1,
        maxBudgetWaits: 1,
        maxInspections: 1,
      },
      tableName: 'state',
      busName: 'bus',
      region: 'eu-west-1',
      remediatorRoleArns: [],
      leaseSeconds: 7200,
      pacedCallsPerSecond: 4.75,
      sweep: { regions: ['eu-west-1'], organization: false, include: [], exclude: [] },
    };
    const keys = (deps: object) => Object.keys(deps).sort();
    expect(keys(inspectDeps(config))).toEqual([
      'clock',
      'firehose',
      'keyFailures',
      'keys',
      'leases',
      'ledger',
      'pacer',
      'policy',
      'settings',
      'sleep',
      'states',
    ]);
    expect(keys(enableDeps(config))).toEqual([
      'clock',
      'estimates',
      'firehose',
      'keyFailures',
      'keys',
      'ledger',
      'pacer',
      'policy',
      'publisher',
      'settings',
      'sleep',
    ]);
    expect(keys(checkDeps(config))).toEqual([
      'clock',
      'estimates',
      'firehose',
      'keyFailures',
      'keys',
      'pacer',
      'policy',
      'settings',
      'sleep',
    ]);
    expect(keys(concludeDeps(config))).toEqual(['clock', 'leases', 'policy', 'publisher', 'scheduler', 'states']);
    expect(Math.abs(concludeDeps(config).clock.now() - Date.now())).toBeLessThan(60_000);
  });

  it('read the environment only when first invoked, and refuse a bad one with every problem named', async () => {
    const saved = { ...process.env };
    delete process.env.STATE_TABLE_NAME;
    delete process.env.EVENT_BUS_NAME;
    try {
      await expect(inspect({}, {})).rejects.toBeInstanceOf(InvalidConfigurationError);
      await expect(inspect({}, {})).rejects.toThrow(/STATE_TABLE_NAME: required; EVENT_BUS_NAME: required/);
    } finally {
      process.env = saved;
    }
  });
});
