import { createHash } from 'node:crypto';
import { accountOf, type AccountDirectory, type AccountRecord, type AccountState } from './accounts.ts';
import type { UserIdentity } from './cloudtrail.ts';
import { accountErrors, AwsServiceError, organizationsErrors, protocolErrors } from './errors.ts';
import { int, list, str, struct, type Shape } from './shapes.ts';

/** The `X-Amz-Target` prefix of AWS Organizations (JSON 1.1): `AWSOrganizationsV20161128.ListAccounts`. */
export const ORGANIZATIONS_TARGET = 'AWSOrganizationsV20161128';

/** Account Management speaks restJson1: each operation is a `POST` to its own path. */
export const ACCOUNT_PATHS: Readonly<Record<string, string>> = { '/listRegions': 'ListRegions' };

export const REGION_OPT_STATUSES = ['ENABLED', 'ENABLING', 'DISABLING', 'DISABLED', 'ENABLED_BY_DEFAULT'] as const;

/**
 * Each partition's commercial regions: those every account has (ENABLED_BY_DEFAULT), and the opt-in
 * ones ("Regions introduced after March 20, 2019").
 */
const PARTITION_REGIONS: Readonly<Record<string, { byDefault: readonly string[]; optIn: readonly string[] }>> = {
  aws: {
    byDefault: [
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-northeast-3',
      'ap-south-1',
      'ap-southeast-1',
      'ap-southeast-2',
      'ca-central-1',
      'eu-central-1',
      'eu-north-1',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'sa-east-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
    ],
    optIn: [
      'af-south-1',
      'ap-east-1',
      'ap-east-2',
      'ap-south-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-southeast-7',
      'ca-west-1',
      'eu-central-2',
      'eu-south-1',
      'eu-south-2',
      'il-central-1',
      'me-central-1',
      'me-south-1',
      'mx-central-1',
    ],
  },
  'aws-cn': { byDefault: ['cn-north-1', 'cn-northwest-1'], optIn: [] },
  'aws-us-gov': { byDefault: ['us-gov-east-1', 'us-gov-west-1'], optIn: [] },
};

// As the Organizations (2016-11-28) and Account (2021-02-01) API models constrain them.
export const organizationsShapes: Record<string, Shape> = {
  ListAccounts: struct({ NextToken: str({ max: 100_000 }), MaxResults: int({ min: 1, max: 20 }) }),
};
export const accountShapes: Record<string, Shape> = {
  ListRegions: struct({
    AccountId: str({ pattern: /^\d{12}$/ }),
    MaxResults: int({ min: 1, max: 50 }),
    NextToken: str({ min: 0, max: 1000 }),
    RegionOptStatusContains: list(str({ enum: REGION_OPT_STATUSES })),
  }),
};

/** Items per page when MaxResults is not given. */
const DEFAULT_PAGE = 20;

/** Organizations' `Reason` for a broken constraint (the emulator's validation message names the constraint). */
export function invalidInputReason(message: string): string {
  if (/must not be null/.test(message)) return 'INPUT_REQUIRED';
  if (/length less than/.test(message)) return 'MAX_LENGTH_EXCEEDED';
  if (/length greater than/.test(message)) return 'MIN_LENGTH_EXCEEDED';
  if (/value less than/.test(message)) return 'MAX_VALUE_EXCEEDED';
  if (/value greater than/.test(message)) return 'MIN_VALUE_EXCEEDED';
  if (/enum value set/.test(message)) return 'INVALID_ENUM';
  return 'INVALID_PATTERN';
}

/** `State` → the older `Status` (ACTIVE, SUSPENDED or PENDING_CLOSURE) that ListAccounts still answers. */
const STATUS_OF: Record<AccountState, string> = {
  PENDING_ACTIVATION: 'ACTIVE',
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  PENDING_CLOSURE: 'PENDING_CLOSURE',
  CLOSED: 'SUSPENDED',
};

/** One page of `items` from an opaque token (an offset bound to the operation), or the service's refusal of a bad token. */
function page<T>(items: T[], operation: string, input: Record<string, unknown>, badToken: () => AwsServiceError) {
  let offset = 0;
  const token = input.NextToken as string | undefined;
  if (token !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw badToken();
    }
    const { op, offset: at } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as { op?: unknown; offset?: unknown };
    if (op !== operation || typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at > items.length) throw badToken();
    offset = at;
  }
  const size = (input.MaxResults as number | undefined) ?? DEFAULT_PAGE;
  const next = offset + size;
  return {
    items: items.slice(offset, next),
    ...(next < items.length ? { NextToken: Buffer.from(JSON.stringify({ op: operation, offset: next })).toString('base64url') } : {}),
  };
}

/**
 * The organization the emulator's accounts make up: the home account is its management account,
 * every other account a member (when `enabled` is false, the home account is in no organization).
 *
 * - Organizations ListAccounts, from the management account only: a member gets AccessDeniedException
 *   ("You don't have permissions to access this resource."), any account of an emulator that is no
 *   organization AWSOrganizationsNotInUseException. Delegated administrators are not modelled.
 * - Account Management ListRegions: the caller's own account's regions, or, from the management
 *   account only, a member's (`AccountId`). An account made with `regions` has exactly those enabled
 *   (the emulator refuses calls elsewhere: a region enabled by default that is left out shows
 *   DISABLED, which AWS cannot do); an account without has every region enabled.
 */
export class Organization {
  readonly id: string;
  readonly rootId: string;

  constructor(
    private readonly accounts: AccountDirectory,
    readonly enabled: boolean,
  ) {
    const digest = createHash('sha256').update(`organization:${accounts.home}`).digest('hex');
    this.id = `o-${digest.slice(0, 10)}`;
    this.rootId = `r-${digest.slice(10, 14)}`;
  }

  get managementAccount(): string {
    return this.accounts.home;
  }

  get arn(): string {
    return `arn:${this.accounts.partition}:organizations::${this.accounts.home}:organization/${this.id}`;
  }

  handle(service: 'organizations' | 'account', operation: string, input: Record<string, unknown>, caller: UserIdentity) {
    if (service === 'organizations' && operation === 'ListAccounts') return this.listAccounts(input, accountOf(caller));
    if (service === 'account' && operation === 'ListRegions') return this.listRegions(input, caller);
    throw protocolErrors.unknownOperation(`Unknown operation ${operation}`);
  }

  private listAccounts(input: Record<string, unknown>, callerAccount: string): Record<string, unknown> {
    if (!this.enabled) throw organizationsErrors.notInUse('Your account is not a member of an organization.');
    if (callerAccount !== this.accounts.home) throw organizationsErrors.accessDenied("You don't have permissions to access this resource.");
    const { items, ...rest } = page(this.accounts.records(), 'ListAccounts', input, () =>
      organizationsErrors.invalidInput('The NextToken value is not valid.', 'INVALID_NEXT_TOKEN'),
    );
    return { Accounts: items.map((a) => this.describe(a)), ...rest };
  }

  private describe(a: AccountRecord): Record<string, unknown> {
    const partition = this.accounts.partition;
    return {
      Id: a.id,
      Arn: `arn:${partition}:organizations::${this.accounts.home}:account/${this.id}/${a.id}`,
      Email: a.email,
      Name: a.name,
      Status: STATUS_OF[a.state],
      State: a.state,
      Paths: [`${this.id}/${this.rootId}/${a.id}/`],
      JoinedMethod: a.id === this.accounts.home ? 'INVITED' : 'CREATED',
      JoinedTimestamp: a.joinedAt / 1000,
    };
  }

  private listRegions(input: Record<string, unknown>, caller: UserIdentity): Record<string, unknown> {
    const own = accountOf(caller);
    const asked = input.AccountId as string | undefined;
    if (asked !== undefined) {
      const resource = this.enabled
        ? `arn:${this.accounts.partition}:account::${this.accounts.home}:account/${this.id}/${asked}`
        : `arn:${this.accounts.partition}:account::${asked}:account`;
      const denied = accountErrors.accessDenied(
        `User: ${caller.arn} is not authorized to perform: account:ListRegions on resource: ${resource}`,
      );
      if (!this.enabled || own !== this.accounts.home || !this.accounts.has(asked)) throw denied;
      if (asked === own)
        throw accountErrors.accessDenied(
          'The management account can only be managed using the standalone context from the management account.',
        );
    }
    const account = this.accounts.record(asked ?? own);
    if (!account) throw accountErrors.accessDenied(`User: ${caller.arn} is not authorized to perform: account:ListRegions`);
    const wanted = (input.RegionOptStatusContains as string[] | undefined) ?? [];
    const regions = this.regionsOf(account).filter((r) => wanted.length === 0 || wanted.includes(r.RegionOptStatus));
    const { items, ...rest } = page(regions, 'ListRegions', input, () => accountErrors.validation('The NextToken is not valid.'));
    return { Regions: items, ...rest };
  }

  private regionsOf(account: AccountRecord): { RegionName: string; RegionOptStatus: string }[] {
    const table = PARTITION_REGIONS[this.accounts.partition] ?? { byDefault: [], optIn: [] };
    const names = new Set([...table.byDefault, ...table.optIn, ...(account.regions ?? [])]);
    return [...names].sort().map((name) => ({
      RegionName: name,
      RegionOptStatus:
        account.regions && !account.regions.includes(name) ? 'DISABLED' : table.byDefault.includes(name) ? 'ENABLED_BY_DEFAULT' : 'ENABLED',
    }));
  }
}
