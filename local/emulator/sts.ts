import { randomBytes } from 'node:crypto';
import { accountOf, type AccountDirectory } from './accounts.ts';
import type { Clock } from './clock.ts';
import { assumedRoleIdentity, type UserIdentity } from './cloudtrail.ts';
import { protocolErrors, stsErrors } from './errors.ts';

export interface RoleOptions {
  /**
   * The principals the role's trust policy names, as exact ARNs of IAM roles or users. A caller in
   * an assumed-role session is matched by its role's ARN, as IAM matches a role principal.
   */
  trustedPrincipalArns: readonly string[];
  /** The role's MaxSessionDuration, 3600 (the IAM default) to 43200 seconds. */
  maxSessionSeconds?: number;
}

export interface RoleDescription {
  roleArn: string;
  trustedPrincipalArns: string[];
  maxSessionSeconds: number;
}

/** `arn:<partition>:iam::<account>:role/<path/>name`; a role name is 1..64 of `[\w+=,.@-]`. */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const DEFAULT_SESSION_SECONDS = 3600;
const MAX_SESSION_SECONDS = 43_200;
/** "Role chaining limits your ... role session to a maximum of one hour" (IAM user guide, role terms). */
const CHAINED_SESSION_SECONDS = 3600;
const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The ARN IAM matches a caller against: an assumed-role session counts as its role. */
function principalArnOf(caller: UserIdentity): string {
  const issuer = (caller.sessionContext as { sessionIssuer?: { arn?: unknown } } | undefined)?.sessionIssuer?.arn;
  return caller.type === 'AssumedRole' && typeof issuer === 'string' ? issuer : caller.arn;
}

function newAccessKeyId(): string {
  return `ASIA${[...randomBytes(16)].map((b) => KEY_ID_ALPHABET[b % KEY_ID_ALPHABET.length]).join('')}`;
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The STS subset the system uses: AssumeRole into the roles registered with `addRole`, and
 * GetCallerIdentity. Temporary credentials become registered identities, so a client that assumed a
 * member role acts in the member account.
 */
export class StsService {
  readonly #roles = new Map<string, RoleDescription>();

  constructor(
    private readonly accounts: AccountDirectory,
    private readonly clock: Clock,
  ) {}

  addRole(roleArn: string, options: RoleOptions): void {
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new RangeError(`not a role ARN: '${roleArn}'`);
    if (!this.accounts.has(match[2] as string)) throw new RangeError(`the account of ${roleArn} is not known: addAccount it first`);
    const bad = options.trustedPrincipalArns.find((arn) => !PRINCIPAL_ARN.test(arn));
    if (bad !== undefined) throw new RangeError(`trusted principals are ARNs of IAM roles or users, not '${bad}'`);
    const maxSessionSeconds = options.maxSessionSeconds ?? DEFAULT_SESSION_SECONDS;
    if (!Number.isInteger(maxSessionSeconds) || maxSessionSeconds < DEFAULT_SESSION_SECONDS || maxSessionSeconds > MAX_SESSION_SECONDS) {
      throw new RangeError(`maxSessionSeconds must be ${DEFAULT_SESSION_SECONDS}..${MAX_SESSION_SECONDS}, got ${maxSessionSeconds}`);
    }
    this.#roles.set(roleArn, { roleArn, trustedPrincipalArns: [...options.trustedPrincipalArns], maxSessionSeconds });
  }

  roles(): RoleDescription[] {
    return [...this.#roles.values()].map((r) => ({ ...r, trustedPrincipalArns: [...r.trustedPrincipalArns] }));
  }

  /** Dispatches one STS operation (input already validated against its shape). */
  handle(operation: string, input: Record<string, unknown>, caller: UserIdentity): Record<string, unknown> {
    if (operation === 'GetCallerIdentity') return { UserId: caller.principalId, Account: accountOf(caller), Arn: caller.arn };
    if (operation === 'AssumeRole') return this.assumeRole(input, caller);
    throw protocolErrors.unknownOperation(`Unknown operation ${operation}`);
  }

  private assumeRole(input: Record<string, unknown>, caller: UserIdentity): Record<string, unknown> {
    const roleArn = input.RoleArn as string;
    const sessionName = input.RoleSessionName as string;
    const seconds = (input.DurationSeconds as number | undefined) ?? DEFAULT_SESSION_SECONDS;
    if (!ROLE_ARN.test(roleArn)) throw stsErrors.validation(`${roleArn} is invalid: expected arn:<partition>:iam::<account>:role/<name>`);
    const role = this.#roles.get(roleArn);
    // An unknown role and a role that does not trust the caller look the same to the caller.
    if (!role || !role.trustedPrincipalArns.includes(principalArnOf(caller))) {
      throw stsErrors.accessDenied(`User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    if (caller.type === 'AssumedRole' && seconds > CHAINED_SESSION_SECONDS) {
      throw stsErrors.validation('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }
    if (seconds > role.maxSessionSeconds) {
      throw stsErrors.validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }
    const accessKeyId = newAccessKeyId();
    const session = assumedRoleIdentity(roleArn, sessionName, accessKeyId);
    this.accounts.register(accessKeyId, session);
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: randomBytes(30).toString('base64'),
        SessionToken: randomBytes(120).toString('base64'),
        Expiration: isoSeconds(this.clock.now() + seconds * 1000),
      },
      AssumedRoleUser: { AssumedRoleId: session.principalId, Arn: session.arn },
    };
  }
}
