import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAIM_PARAMETER, claimValue, SsmEnforcementClaims } from '../../../functions/adapters/enforcement-claims.ts';

const ssm = mockClient(SSMClient);
const OWN = claimValue('prod', '111122223333');
const PLACE = { account: '210987654321', region: 'eu-west-1' };

function claims(now: { t: number } = { t: 0 }) {
  const asked: string[] = [];
  const adapter = new SsmEnforcementClaims(
    OWN,
    (place) => {
      asked.push(`${place.account}/${place.region}`);
      return new SSMClient({ region: place.region });
    },
    { now: () => now.t },
  );
  return { adapter, asked };
}
const denied = (name: string) => new SSMServiceException({ name, $fault: 'client', $metadata: {}, message: name });

/** Issue 14: one enforcing stage per account and region, read at run time from the claim its stacks create. */
describe('SsmEnforcementClaims: who enforces in an account and region (aws-sdk-client-mock: SSM has no emulator here)', () => {
  afterEach(() => ssm.reset());

  it("another stage's claim names it; this stage's claim, or none, names nobody", async () => {
    ssm.on(GetParameterCommand, { Name: CLAIM_PARAMETER }).resolves({ Parameter: { Value: claimValue('dev', '111122223333') } });
    expect(await claims().adapter.heldByOther(PLACE)).toBe('firehose-sse-guard-dev (central 111122223333)');
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: OWN } });
    expect(await claims().adapter.heldByOther(PLACE)).toBeUndefined();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ $metadata: {}, message: 'not found' }));
    expect(await claims().adapter.heldByOther(PLACE)).toBeUndefined();
  });

  it('a claim it may not read (a member stack from before the claim) is no claim; any other failure is thrown, for the state machine to retry', async () => {
    ssm.on(GetParameterCommand).rejects(denied('AccessDeniedException'));
    expect(await claims().adapter.heldByOther(PLACE)).toBeUndefined();
    ssm.on(GetParameterCommand).rejects(denied('ThrottlingException'));
    await expect(claims().adapter.heldByOther(PLACE)).rejects.toThrow('ThrottlingException');
  });

  it('reads each place once per five minutes, in that place (its account and region)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: claimValue('dev', '111122223333') } });
    const now = { t: 0 };
    const { adapter, asked } = claims(now);
    await adapter.heldByOther(PLACE);
    now.t += 299_000;
    await adapter.heldByOther(PLACE);
    await adapter.heldByOther({ account: PLACE.account, region: 'us-east-1' });
    now.t += 2_000;
    await adapter.heldByOther(PLACE);
    expect(asked).toEqual(['210987654321/eu-west-1', '210987654321/us-east-1', '210987654321/eu-west-1']);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(3);
  });
});
