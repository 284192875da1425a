import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AccountClient } from '@aws-sdk/client-account';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SdkAccountDirectory } from '../functions/adapters/account-directory.ts';
import { partitionOf } from '../functions/domain/firehose-facts.ts';
import { standInCredentials, UsageError } from './args.ts';

/** Credentials for SDK clients: a profile's, an assumed role's, or the default chain's (undefined). */
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;

/** One account the CLI sweeps, with the credentials that act in it. */
export interface SweepTarget {
  account: string;
  credentials?: Credentials;
}

export const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,64}$/;
export const DEFAULT_MEMBER_ROLE_NAME = 'firehose-sse-guard-prod-member';

/** Where the CLI's calls go and as whom, before any role is assumed. */
export interface CallerSetup {
  /** The region of STS, Organizations and the ledger table (the profile's, with --profile). */
  home: string;
  endpointUrl?: string;
  profile?: string;
  credentials: Credentials;
}

/**
 * The home region and base credentials: `--profile P` takes P's credentials and, unless a region is
 * given, P's region (as the AWS CLI does); an endpoint without credentials in the environment takes
 * stand-in ones (the emulator accepts any key).
 */
export async function callerSetup(options: { profile?: string; endpointUrl?: string; region?: string }): Promise<CallerSetup> {
  const { profile, endpointUrl } = options;
  let home = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  let credentials: Credentials = standInCredentials(endpointUrl).credentials;
  if (profile) {
    credentials = fromIni({ profile });
    if (!options.region) {
      const probe = new STSClient({ profile });
      try {
        home = await probe.config.region();
      } catch {
        throw new UsageError(`--profile ${profile}: the profile names no region (set region in ~/.aws/config, or pass --region)`);
      } finally {
        probe.destroy();
      }
    }
  }
  return { home: home ?? 'us-east-1', ...(endpointUrl ? { endpointUrl } : {}), ...(profile ? { profile } : {}), credentials };
}

const clientConfig = (setup: CallerSetup, credentials: Credentials = setup.credentials) => ({
  region: setup.home,
  ...(setup.endpointUrl ? { endpoint: setup.endpointUrl } : {}),
  ...(credentials ? { credentials } : {}),
});

/** Credentials of a role assumed from the base credentials, renewed before they expire (under an hour old). */
export function assumedRole(setup: CallerSetup, roleArn: string): AwsCredentialIdentityProvider {
  return fromTemporaryCredentials({
    params: { RoleArn: roleArn, RoleSessionName: 'firehose-sse-guard-cli', DurationSeconds: 3600 },
    ...(setup.credentials ? { masterCredentials: setup.credentials } : {}),
    clientConfig: { region: setup.home, ...(setup.endpointUrl ? { endpoint: setup.endpointUrl } : {}) },
  });
}

/** The account the credentials act in (STS GetCallerIdentity), with the failure said in one line. */
export async function callerAccount(setup: CallerSetup, credentials: Credentials = setup.credentials): Promise<string> {
  const sts = new STSClient(clientConfig(setup, credentials));
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (!account) throw new Error('GetCallerIdentity returned no account');
    return account;
  } catch (error) {
    const where = setup.endpointUrl ? ` at ${setup.endpointUrl}` : '';
    throw new UsageError(`cannot tell the account${where}: ${(error as Error).message.split('\n')[0]} (pass --account)`);
  } finally {
    sts.destroy();
  }
}

/**
 * `--org`: every ACTIVE account of the organization (Organizations ListAccounts, as the base
 * credentials), each reached through its member role; the caller's own account with its own credentials.
 */
export async function organizationTargets(setup: CallerSetup, memberRoleName: string): Promise<SweepTarget[]> {
  const own = await callerAccount(setup);
  const organizations = new OrganizationsClient(clientConfig(setup));
  const directory = new SdkAccountDirectory(organizations, () => new AccountClient(clientConfig(setup)));
  try {
    const accounts = (await directory.accounts()).filter((a) => a.status === 'ACTIVE').map((a) => a.id);
    if (!accounts.includes(own)) accounts.unshift(own);
    return accounts
      .sort()
      .map((account) =>
        account === own
          ? { account, credentials: setup.credentials }
          : { account, credentials: assumedRole(setup, `arn:${partitionOf(setup.home)}:iam::${account}:role/${memberRoleName}`) },
      );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--org: cannot list the organization's accounts: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    organizations.destroy();
  }
}
