import { checkAccountId, checkRegion } from './cells.ts';
import { iamUserIdentity, type UserIdentity } from './cloudtrail.ts';
import { authErrors } from './errors.ts';

/** An account's state in AWS Organizations (`Account.State`). */
export const ACCOUNT_STATES = ['PENDING_ACTIVATION', 'ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export interface AccountOptions {
  /**
   * The regions the account has enabled; a call to any other is refused as AWS refuses credentials
   * in an opt-in region the account has not enabled. Default: every region.
   */
  regions?: readonly string[];
  /** The account's name in the organization (Organizations ListAccounts); default `account-<id>`, the home account's `management`. */
  name?: string;
  /** The account's root user email; default `aws+<id>@example.com`. */
  email?: string;
  /** Its state in the organization (default ACTIVE); the emulator still serves its calls. */
  state?: AccountState;
}

/** What the organization knows of an account. */
export interface AccountRecord {
  id: string;
  name: string;
  email: string;
  state: AccountState;
  /** Absent: every region is enabled. */
  regions?: readonly string[];
  /** When the account was added (the emulator clock): its JoinedTimestamp. */
  joinedAt: number;
}

/** The account an identity acts in: `accountId`, or the fifth field of its ARN. */
export function accountOf(identity: UserIdentity): string {
  return typeof identity.accountId === 'string' ? identity.accountId : (identity.arn.split(':')[4] ?? '');
}

/**
 * The accounts the emulator serves and who holds which access key. An access key nobody registered
 * is a user of the home account, so that any key works against a one-account emulator as before; a
 * registered key acts in its identity's account, which must be one the emulator knows.
 */
export class AccountDirectory {
  readonly #accounts = new Map<string, AccountRecord>();
  readonly #identities = new Map<string, UserIdentity>();

  constructor(
    readonly home: string,
    readonly partition: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.add(checkAccountId(home));
  }

  /** Adds (or reconfigures, keeping when it joined) an account. */
  add(account: string, options: AccountOptions = {}): void {
    checkAccountId(account);
    for (const region of options.regions ?? []) checkRegion(region);
    if (account === this.home && options.regions) throw new RangeError('the home account serves every region');
    if (options.state !== undefined && !ACCOUNT_STATES.includes(options.state))
      throw new RangeError(`unknown account state '${options.state}'`);
    if (options.name !== undefined && !/^[\x20-\x7e]{1,50}$/.test(options.name))
      throw new RangeError(`an account name is 1 to 50 printable ASCII characters, got '${options.name}'`);
    this.#accounts.set(account, {
      id: account,
      name: options.name ?? (account === this.home ? 'management' : `account-${account}`),
      email: options.email ?? `aws+${account}@example.com`,
      state: options.state ?? 'ACTIVE',
      ...(options.regions ? { regions: [...options.regions] } : {}),
      joinedAt: this.#accounts.get(account)?.joinedAt ?? this.now(),
    });
  }

  has(account: string): boolean {
    return this.#accounts.has(account);
  }

  /** Account ids, the home account first. */
  list(): string[] {
    return [...this.#accounts.keys()];
  }

  /** Every account as the organization knows it, the home account first. */
  records(): AccountRecord[] {
    return [...this.#accounts.values()].map((r) => ({ ...r, ...(r.regions ? { regions: [...r.regions] } : {}) }));
  }

  record(account: string): AccountRecord | undefined {
    const r = this.#accounts.get(account);
    return r && { ...r, ...(r.regions ? { regions: [...r.regions] } : {}) };
  }

  register(accessKeyId: string, identity: UserIdentity): void {
    this.#identities.set(accessKeyId, identity);
  }

  identityFor(accessKeyId: string | undefined): UserIdentity {
    const id = accessKeyId ?? 'ANONYMOUS';
    return this.#identities.get(id) ?? iamUserIdentity(this.home, `local-${id.toLowerCase()}`, id, this.partition);
  }

  /**
   * Who is calling and in which account, or the refusal AWS answers with for credentials it does not
   * know: a key registered to an account the emulator was not told about, or a region the account
   * has not enabled. A global service (Organizations, Account Management) passes no region.
   */
  callerOf(accessKeyId: string | undefined, region: string | undefined, service: string): { identity: UserIdentity; account: string } {
    const identity = this.identityFor(accessKeyId);
    const account = accountOf(identity);
    const record = this.#accounts.get(account);
    if (!record || (region !== undefined && record.regions && !record.regions.includes(region)))
      throw authErrors.unrecognizedClient(service);
    return { identity, account };
  }
}
