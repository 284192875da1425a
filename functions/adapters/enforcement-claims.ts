import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Clock, EnforcementClaims } from '../domain/ports.ts';

/** The parameter an enforcing stage's stacks create in each account and region it enforces in. */
export const CLAIM_PARAMETER = '/firehose-sse-guard/enforcing-stage';

/** What a stage writes in its claim: its name and its central account, so that two `prod` stages of two central accounts differ. */
export const claimValue = (stage: string, centralAccount: string): string => `firehose-sse-guard-${stage} (central ${centralAccount})`;

/** A claim read is kept this long: stages change by deployment, not by the minute. */
const CACHE_MS = 5 * 60_000;

/**
 * The claims in SSM Parameter Store, read in the stream's account and region (as the member role in a
 * member account). No parameter: nobody claims the place, and this stage acts (deploy the forwarder
 * or member stack everywhere you sweep, which claims it). A parameter this stage cannot read
 * (AccessDenied: a member stack from before the claim) is taken as no claim, so an upgrade does not
 * stop remediation; any other failure is thrown, and the state machine retries it.
 *
 * IAM: ssm:GetParameter on arn:aws:ssm:*:<account>:parameter/firehose-sse-guard/enforcing-stage.
 */
export class SsmEnforcementClaims implements EnforcementClaims {
  readonly #cache = new Map<string, { holder: string | undefined; at: number }>();

  constructor(
    private readonly own: string,
    private readonly clientFor: (place: { account: string; region: string }) => SSMClient,
    private readonly clock: Clock,
  ) {}

  async heldByOther(place: { account: string; region: string }): Promise<string | undefined> {
    const key = `${place.account}/${place.region}`;
    const cached = this.#cache.get(key);
    const now = this.clock.now();
    if (cached && now - cached.at < CACHE_MS) return cached.holder;
    let value: string | undefined;
    try {
      value = (await this.clientFor(place).send(new GetParameterCommand({ Name: CLAIM_PARAMETER }))).Parameter?.Value;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'ParameterNotFound' && name !== 'AccessDeniedException') throw error;
    }
    const holder = value === undefined || value === this.own ? undefined : value;
    this.#cache.set(key, { holder, at: now });
    return holder;
  }
}
