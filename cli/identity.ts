import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AccountClient } from '@aws-sdk/client-account';
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { SdkAccountDirectory } from '../functions/adapters/account-directory.ts';
import { keyedCache } from '../functions/adapters/keyed-cache.ts';
import { partitionOf } from '../functions/domain/firehose-facts.ts';
import { standInCredentials, UsageError } from './args.ts';
import { connectionFailure, EndpointError } from './endpoint.ts';

/** Credentials for SDK clients: a profile's, an assumed role's, or the default chain's (undefined). */
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;

/** One account the CLI sweeps, with the credentials that act in it. */
export interface SweepTarget {
  account: string;
  credentials?: Credentials;
  /** The role the credentials come from (--role-arn, --org): named when it cannot be assumed. */
  roleArn?: string;
  /** The account's own regions (--org --all-regions: its enabled ones, read as it); default: the run's. */
  regions?: () => Promise<string[]>;
}

export const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,64}$/;
export const DEFAULT_MEMBER_ROLE_NAME = 'firehose-sse-guard-prod-member';
/** The session name of every role the CLI assumes: CloudTrail in the member account shows `assumed-role/<role>/firehose-sse-guard-cli`. */
export const CLI_SESSION_NAME = 'firehose-sse-guard-cli';
/** Assumed credentials are renewed this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** Where the CLI's calls go and as whom, before any role is assumed. */
export interface CallerSetup {
  /** The region of STS, Organizations and the ledger table (the profile's, with --profile). */
  home: string;
  endpointUrl?: string;
  profile?: string;
  credentials: Credentials;
}

/** The first line of an error's message: the CLI reports errors in one line. */
export const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/**
 * The home region and base credentials: `--profile P` takes P's credentials and, unless a region is
 * given, P's region (as the AWS CLI does: `--region`, then AWS_REGION, then the profile); an endpoint
 * without credentials in the environment takes stand-in ones (the emulator accepts any key).
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
        // No region: say whether the profile is missing altogether, or only its region.
        const missing = await credentials().then(
          () => undefined,
          (error: unknown) => firstLine(error),
        );
        throw new UsageError(
          `--profile ${profile}: ${missing ?? 'the profile names no region (set region in the AWS config file, or pass --region)'}`,
        );
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

/** One AssumeRole shared by every client of the account (and by the check that it can be reached), renewed before it expires. */
function renewing(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const current = pending ? await pending.catch(() => undefined) : undefined;
    if (current && !(current.expiration && current.expiration.getTime() - Date.now() < RENEW_BEFORE_MS)) return current;
    pending = provider();
    return pending;
  };
}

/** Credentials of a role assumed from the base credentials (one-hour sessions, renewed). */
export function assumedRole(setup: CallerSetup, roleArn: string): AwsCredentialIdentityProvider {
  return renewing(
    fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: CLI_SESSION_NAME, DurationSeconds: 3600 },
      ...(setup.credentials ? { masterCredentials: setup.credentials } : {}),
      clientConfig: { region: setup.home, maxAttempts: 2, ...(setup.endpointUrl ? { endpoint: setup.endpointUrl } : {}) },
    }),
  );
}

/** The account the credentials act in (STS GetCallerIdentity), with the failure said in one line, and what to do about it. */
export async function callerAccount(setup: CallerSetup, hint = 'pass --account'): Promise<string> {
  const sts = new STSClient({ ...clientConfig(setup), maxAttempts: 2 });
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (!account) throw new Error('GetCallerIdentity returned no account');
    return account;
  } catch (error) {
    const where = setup.endpointUrl ? ` at ${setup.endpointUrl}` : '';
    // No network is not a usage error: no flag would fix it.
    const unreachable = connectionFailure(error);
    if (unreachable) throw new EndpointError(`cannot reach STS${where || ` in ${setup.home}`}: ${unreachable}`);
    throw new UsageError(`cannot tell the account${where}: ${firstLine(error)} (${hint})`);
  } finally {
    sts.destroy();
  }
}

/** The accounts of `--org`, and the clients to close once the sweep is over. */
export interface OrganizationPlan {
  targets: SweepTarget[];
  close(): void;
}

/**
 * `--org`: every ACTIVE account of the organization (Organizations ListAccounts, as the base
 * credentials: the management account or a delegated administrator), each reached through its member
 * role; the caller's own account with its own credentials. With `allRegions`, each account's regions
 * are those of `allRegions` it has enabled (Account Management ListRegions, called in the account).
 */
export async function organizationTargets(
  setup: CallerSetup,
  memberRoleName: string,
  allRegions?: readonly string[],
): Promise<OrganizationPlan> {
  const own = await callerAccount(setup, '--org needs credentials that STS knows');
  const organizations = new OrganizationsClient({ ...clientConfig(setup), maxAttempts: 2 });
  const credentialsOf = new Map<string, Credentials>();
  const accountClients = keyedCache((account) => new AccountClient({ ...clientConfig(setup, credentialsOf.get(account)), maxAttempts: 2 }));
  const directory = new SdkAccountDirectory(organizations, accountClients);
  const close = () => {
    organizations.destroy();
    for (const client of accountClients.values()) client.destroy();
  };
  let accounts: string[];
  try {
    accounts = (await directory.accounts()).filter((a) => a.status === 'ACTIVE').map((a) => a.id);
  } catch (error) {
    close();
    const name = (error as { name?: string }).name;
    const hint =
      name === 'AccessDeniedException'
        ? ` (the credentials act in ${own}: run --org as the management account or a delegated administrator)`
        : name === 'AWSOrganizationsNotInUseException'
          ? ` (account ${own} is in no organization: sweep it without --org)`
          : '';
    throw new Error(`--org: cannot list the organization's accounts: ${firstLine(error)}${hint}`);
  }
  if (!accounts.includes(own)) accounts.push(own);
  const partition = partitionOf(setup.home);
  const targets = accounts.sort().map((account): SweepTarget => {
    const roleArn = `arn:${partition}:iam::${account}:role/${memberRoleName}`;
    const credentials = account === own ? setup.credentials : assumedRole(setup, roleArn);
    credentialsOf.set(account, credentials);
    return {
      account,
      ...(credentials ? { credentials } : {}),
      ...(account === own ? {} : { roleArn }),
      ...(allRegions
        ? { regions: async () => (await directory.enabledRegions(account)).filter((r) => allRegions.includes(r)).sort() }
        : {}),
    };
  });
  return { targets, close };
}
