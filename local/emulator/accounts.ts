import { checkAccountId, checkRegion } from './cells.ts';
import { iamUserIdentity, type UserIdentity } from './cloudtrail.ts';
import { authErrors } from './errors.ts';

export interface AccountOptions {
  /**
   * The regions the account has enabled; a call to any other is refused as AWS refuses credentials
   * in an opt-in region the account has not enabled. Default: every region.
   */
  regions?: readonly string[];
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
  readonly #accounts = new Map<string, AccountOptions>();
  readonly #identities = new Map<string, UserIdentity>();

  constructor(
    readonly home: string,
    private readonly homePartition: string,
  ) {
    this.#accounts.set(checkAccountId(home), {});
  }

  /** Adds (or reconfigures) a member account. */
  add(account: string, options: AccountOptions = {}): void {
    checkAccountId(account);
    for (const region of options.regions ?? []) checkRegion(region);
    if (account === this.home && options.regions) throw new RangeError('the home account serves every region');
    this.#accounts.set(account, options.regions ? { regions: [...options.regions] } : {});
  }

  has(account: string): boolean {
    return this.#accounts.has(account);
  }

  /** Account ids, the home account first. */
  list(): string[] {
    return [...this.#accounts.keys()];
  }

  register(accessKeyId: string, identity: UserIdentity): void {
    this.#identities.set(accessKeyId, identity);
  }

  identityFor(accessKeyId: string | undefined): UserIdentity {
    const id = accessKeyId ?? 'ANONYMOUS';
    return this.#identities.get(id) ?? iamUserIdentity(this.home, `local-${id.toLowerCase()}`, id, this.homePartition);
  }

  /**
   * Who is calling and in which account, or the refusal AWS answers with for credentials it does not
   * know: a key registered to an account the emulator was not told about, or a region the account
   * has not enabled.
   */
  callerOf(accessKeyId: string | undefined, region: string, service: string): { identity: UserIdentity; account: string } {
    const identity = this.identityFor(accessKeyId);
    const account = accountOf(identity);
    const options = this.#accounts.get(account);
    if (!options || (options.regions && !options.regions.includes(region))) throw authErrors.unrecognizedClient(service);
    return { identity, account };
  }
}
