import { outsideScope } from '../../../functions/domain/intake/scope.ts';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../../functions/domain/firehose-facts.ts';
import { deploymentScope, memberRoleArn } from '../../../functions/handlers/wiring.ts';

// Issue 14: "The partition is hard-coded as `arn:aws:` in `wiring.ts:32`."
describe('partitions', () => {
  it('names the partition of each region family', () => {
    expect(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'il-central-1'].map(partitionOf)).toEqual(['aws', 'aws', 'aws', 'aws']);
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOf('us-iso-east-1')).toBe('aws-iso');
    expect(partitionOf('us-isob-east-1')).toBe('aws-iso-b');
  });

  it('builds the member role ARN in the partition of the region the call goes to', () => {
    expect(memberRoleArn('111122223333', 'cn-north-1', 'firehose-sse-guard-member')).toBe(
      'arn:aws-cn:iam::111122223333:role/firehose-sse-guard-member',
    );
    expect(memberRoleArn('111122223333', 'us-gov-west-1', 'm')).toBe('arn:aws-us-gov:iam::111122223333:role/m');
    expect(memberRoleArn('111122223333', 'eu-west-1', 'm')).toBe('arn:aws:iam::111122223333:role/m');
  });
});

describe('the deployment scope (FSG_ACCOUNTS, FSG_ORGANIZATION_ID, FSG_REGIONS)', () => {
  const config = { sweep: { regions: ['eu-west-1', 'us-east-1'] } } as Parameters<typeof deploymentScope>[0];

  it('is the configured accounts, else the organization, else the home account alone; the regions are the sweep regions', () => {
    expect(deploymentScope(config, { FSG_ACCOUNTS: '111122223333, 444455556666', FSG_HOME_ACCOUNT_ID: '999988887777' })).toEqual({
      accounts: ['111122223333', '444455556666'],
      regions: ['eu-west-1', 'us-east-1'],
    });
    expect(deploymentScope(config, { FSG_ORGANIZATION_ID: 'o-abc123', FSG_HOME_ACCOUNT_ID: '999988887777' }).accounts).toBe('organization');
    expect(deploymentScope(config, { FSG_ORGANIZATION_ID: '', FSG_HOME_ACCOUNT_ID: '999988887777' }).accounts).toEqual(['999988887777']);
  });

  // Review of issue 14: in organization mode the exclude list was dropped, so an excluded member's forwarded events were remediated.
  it('refuses an excluded account in organization mode too, saying why', () => {
    const scope = deploymentScope({ sweep: { ...config.sweep, exclude: ['999999999999'] } } as Parameters<typeof deploymentScope>[0], {
      FSG_ORGANIZATION_ID: 'o-abcdefghij',
      FSG_HOME_ACCOUNT_ID: '111122223333',
    });
    expect(scope).toMatchObject({ accounts: 'organization', exclude: ['999999999999'] });
    expect(outsideScope({ account: '999999999999', region: 'eu-west-1', name: 'orders' }, scope)).toMatch(/excluded .*excludeAccounts/);
    expect(outsideScope({ account: '210987654321', region: 'eu-west-1', name: 'orders' }, scope)).toBeUndefined();
  });
});
