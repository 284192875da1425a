import { InvalidConfigurationError } from './domain/errors.ts';
import { CONTROL_PLANE_CALLS_PER_SECOND } from './domain/firehose-facts.ts';
import { PACED_CALLS_PER_SECOND } from './domain/pacing.ts';
import { parsePolicy, type GuardPolicy } from './domain/policy.ts';
import { DEFAULT_WORKFLOW_SETTINGS, type WorkflowSettings } from './domain/remediation/state.ts';
import { EXECUTION_TIMEOUT_SECONDS, LEASE_SECONDS, worstCaseExecutionSeconds } from './domain/remediation/bounds.ts';

/** Everything a Lambda reads from its environment, validated once per cold start. */
export interface GuardConfig {
  policy: GuardPolicy;
  settings: WorkflowSettings;
  tableName: string;
  busName: string;
  region: string;
  /** The role the remediator's Lambdas run as: its calls are not triggers (loop guard). */
  remediatorRoleArns: string[];
  /** The longest a workflow holds a stream's lease (derived: it outlives the state machine's timeout; the workflow or the cleanup gives it back). */
  leaseSeconds: number;
  /** The shared pacing's rate per account, region and operation (FSG_PACED_CALLS_PER_SECOND): below the 5-per-second quota. */
  pacedCallsPerSecond: number;
  sweep: {
    /**
     * The regions the sweep covers (FSG_REGIONS): a list; or `enabled`, every region enabled in each
     * account (FSG_REGIONS=enabled, and the default of an organization sweep); else the home region.
     */
    regions: string[] | 'enabled';
    /** Sweep every ACTIVE account of the organization (FSG_ORGANIZATION_ID set), not only this one. */
    organization: boolean;
    /** Only these accounts (FSG_ACCOUNTS; empty: all), never these (FSG_EXCLUDE_ACCOUNTS). */
    include: string[];
    exclude: string[];
  };
}

type Env = Record<string, string | undefined>;

/** A number when the text is one, else the text itself, so that an error message can quote it. */
const numeric = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);

const list = (value: string | undefined): string[] | undefined =>
  value === undefined || value.trim() === ''
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

/** Environment variables of the workflow settings, each with its bounds. */
const SETTING_VARIABLES: Record<keyof WorkflowSettings, [name: string, min: number, max: number]> = {
  pollSeconds: ['FSG_POLL_SECONDS', 1, 3_600],
  maxPollSeconds: ['FSG_MAX_POLL_SECONDS', 1, 3_600],
  maxPolls: ['FSG_MAX_POLLS', 1, 100],
  maxAttempts: ['FSG_MAX_ATTEMPTS', 1, 10],
  retrySeconds: ['FSG_RETRY_SECONDS', 1, 3_600],
  busyWaitSeconds: ['FSG_BUSY_WAIT_SECONDS', 1, 3_600],
  maxBusyWaits: ['FSG_MAX_BUSY_WAITS', 0, 200],
  budgetWaitHorizonSeconds: ['FSG_BUDGET_WAIT_HORIZON_SECONDS', 0, 86_400],
  maxBudgetWaits: ['FSG_MAX_BUDGET_WAITS', 0, 10],
  maxInspections: ['FSG_MAX_INSPECTIONS', 1, 200],
};

/**
 * Reads the configuration from the environment (the serverless.yml parameters). Every problem is
 * reported at once; nothing runs with a half-valid configuration.
 */
export function loadConfig(env: Env = process.env): GuardConfig {
  const problems: string[] = [];
  let policy: GuardPolicy | undefined;
  try {
    const keyType = env.FSG_KEY_TYPE ?? 'AWS_OWNED_CMK';
    policy = parsePolicy({
      mode: env.FSG_MODE ?? 'enforce',
      key: {
        type: keyType,
        ...(keyType === 'CUSTOMER_MANAGED_CMK' ? { approvedKeyArns: list(env.FSG_APPROVED_KEY_ARNS) ?? [] } : {}),
        ...(keyType === 'CUSTOMER_MANAGED_CMK' && env.FSG_FALLBACK_TO_AWS_OWNED !== undefined
          ? {
              fallbackToAwsOwned:
                env.FSG_FALLBACK_TO_AWS_OWNED === 'true'
                  ? true
                  : env.FSG_FALLBACK_TO_AWS_OWNED === 'false'
                    ? false
                    : env.FSG_FALLBACK_TO_AWS_OWNED,
            }
          : {}),
      },
      exemptions: {
        ...(env.FSG_EXEMPT_TAG_KEY ? { tagKey: env.FSG_EXEMPT_TAG_KEY } : {}),
        ...(list(env.FSG_EXEMPT_TAG_VALUES) ? { tagValues: list(env.FSG_EXEMPT_TAG_VALUES) } : {}),
        ...(list(env.FSG_EXEMPT_NAME_PATTERNS) ? { namePatterns: list(env.FSG_EXEMPT_NAME_PATTERNS) } : {}),
      },
      budget: {
        ...(env.FSG_BUDGET_SHARE !== undefined ? { share: numeric(env.FSG_BUDGET_SHARE) } : {}),
        ...(env.FSG_BUDGET_LOW_THRESHOLD !== undefined ? { lowThreshold: numeric(env.FSG_BUDGET_LOW_THRESHOLD) } : {}),
      },
    });
  } catch (error) {
    problems.push(...((error as InvalidConfigurationError).problems ?? [(error as Error).message]));
  }
  const settings = { ...DEFAULT_WORKFLOW_SETTINGS };
  for (const [field, [name, min, max]] of Object.entries(SETTING_VARIABLES) as [keyof WorkflowSettings, [string, number, number]][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
    else settings[field] = value;
  }
  const required = (name: string): string => {
    const value = env[name];
    if (!value) problems.push(`${name}: required`);
    return value ?? '';
  };
  const tableName = required('STATE_TABLE_NAME');
  const busName = required('EVENT_BUS_NAME');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (!region) problems.push('AWS_REGION: required');
  // The lease outlives the state machine's timeout, and the settings must fit in that timeout.
  const leaseSeconds = LEASE_SECONDS;
  const worstCase = worstCaseExecutionSeconds(settings);
  if (worstCase > EXECUTION_TIMEOUT_SECONDS) {
    problems.push(
      `workflow settings: their worst case (${worstCase} s of waits and task retries) exceeds the state machine's timeout of ${EXECUTION_TIMEOUT_SECONDS} s; lower the waits or the counts`,
    );
  }
  const organization = (env.FSG_ORGANIZATION_ID ?? '') !== '';
  if (organization && !/^o-[a-z0-9]{10,32}$/.test(env.FSG_ORGANIZATION_ID ?? ''))
    problems.push(`FSG_ORGANIZATION_ID: expected o- and 10 to 32 lowercase letters or digits, got "${env.FSG_ORGANIZATION_ID}"`);
  const listedRegions = list(env.FSG_REGIONS);
  const regions: string[] | 'enabled' =
    listedRegions?.length === 1 && listedRegions[0] === 'enabled'
      ? 'enabled'
      : (listedRegions ?? (organization ? 'enabled' : region ? [region] : []));
  if (regions !== 'enabled')
    for (const r of regions) if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) problems.push(`FSG_REGIONS: not a region: "${r}"`);
  const include = list(env.FSG_ACCOUNTS) ?? [];
  const exclude = list(env.FSG_EXCLUDE_ACCOUNTS) ?? [];
  for (const [name, ids] of [
    ['FSG_ACCOUNTS', include],
    ['FSG_EXCLUDE_ACCOUNTS', exclude],
  ] as const)
    for (const id of ids) if (!/^\d{12}$/.test(id)) problems.push(`${name}: not an account id (12 digits): "${id}"`);
  const rateText = env.FSG_PACED_CALLS_PER_SECOND ?? String(PACED_CALLS_PER_SECOND);
  const pacedCallsPerSecond = Number(rateText);
  if (!(pacedCallsPerSecond > 0 && pacedCallsPerSecond <= CONTROL_PLANE_CALLS_PER_SECOND)) {
    problems.push(`FSG_PACED_CALLS_PER_SECOND: expected a number above 0 and at most ${CONTROL_PLANE_CALLS_PER_SECOND}, got "${rateText}"`);
  }
  if (problems.length > 0 || !policy) throw new InvalidConfigurationError(`invalid configuration: ${problems.join('; ')}`, problems);
  return {
    policy,
    settings,
    tableName,
    busName,
    region,
    remediatorRoleArns: list(env.FSG_REMEDIATOR_ROLE_ARNS) ?? [],
    leaseSeconds,
    pacedCallsPerSecond,
    sweep: { regions, organization, include, exclude },
  };
}
