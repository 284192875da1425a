import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AccountDirectory } from '../domain/ports.ts';

/** Region opt-in states in which Firehose streams can exist (Account Management ListRegions). */
const ENABLED_STATES = ['ENABLED', 'ENABLED_BY_DEFAULT'] as const;

/**
 * The organization sweep's account directory: AWS Organizations ListAccounts from the central account
 * (the management account, or a delegated administrator of Organizations), and each account's
 * enabled regions from Account Management ListRegions called in that account (as its member role:
 * "If you don't specify [AccountId], it defaults to the Amazon Web Services account of the identity
 * used to call the operation"), which needs no organization-wide permission.
 *
 * IAM: organizations:ListAccounts (central); account:ListRegions on the account itself (member role, sweep role).
 */
export class SdkAccountDirectory implements AccountDirectory {
  constructor(
    private readonly organizations: OrganizationsClient,
    /** A client acting in the account (the home account's own credentials, or its member role). */
    private readonly accountClient: (account: string) => AccountClient,
  ) {}

  async accounts(): Promise<{ id: string; status: string }[]> {
    const accounts: { id: string; status: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.organizations.send(new ListAccountsCommand({ ...(token ? { NextToken: token } : {}) }));
      for (const account of page.Accounts ?? []) {
        // `State` replaces the deprecated `Status`; either says ACTIVE for an account that can be swept.
        const status = account.State ?? account.Status ?? 'UNKNOWN';
        if (account.Id) accounts.push({ id: account.Id, status });
      }
      token = page.NextToken;
    } while (token);
    return accounts;
  }

  async enabledRegions(account: string): Promise<string[]> {
    const client = this.accountClient(account);
    const regions: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListRegionsCommand({ RegionOptStatusContains: [...ENABLED_STATES], MaxResults: 50, ...(token ? { NextToken: token } : {}) }),
      );
      for (const region of page.Regions ?? []) if (region.RegionName) regions.push(region.RegionName);
      token = page.NextToken;
    } while (token);
    return regions;
  }
}
