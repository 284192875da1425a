/**
 * One AWS Security Finding Format (ASFF) finding per stream, for Security Hub's `BatchImportFindings`:
 * the deployed `findings` function imports them from the compliance events, and `sweep --output asff`
 * writes the same ones for a one-off import. Pure: time comes in as `observedAt`.
 *
 * Docs: https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html and
 * https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchimportfindings.html
 */
import * as z from 'zod/mini';
import { GuardError } from './errors.ts';
import { EVENT_SOURCE, EVENT_TYPES, type BudgetPart, type KeyPart, type StreamPart } from './events.ts';
import { ENCRYPTION_CALLS_PER_WINDOW, partitionOf } from './firehose-facts.ts';
import { keyTypeSchema, readShape, verdictSchema } from './shapes.ts';

/** "SchemaVersion: The schema version that a finding is formatted for" (required); the only ASFF version. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** The Security Hub control that the findings stand for, and where it is documented. */
export const DATA_FIREHOSE_CONTROL = {
  id: 'DataFirehose.1',
  title: 'Firehose delivery streams should be encrypted at rest',
  url: 'https://docs.aws.amazon.com/securityhub/latest/userguide/datafirehose-controls.html#datafirehose-1',
} as const;

/** `GeneratorId`: "the solution-specific component (a discrete unit of logic) that generated a finding". */
export const FINDING_GENERATOR_ID = `firehose-sse-guard/${DATA_FIREHOSE_CONTROL.id}`;

/** `ProductName` of every finding (the default product's findings are otherwise named "Default"). */
export const FINDING_PRODUCT_NAME = 'firehose-sse-guard';

/** "BatchImportFindings: the list of findings to import ... Minimum of 1 item. Maximum of 100 items." */
export const FINDINGS_PER_IMPORT = 100;

/** The ASFF `Types` of every finding: namespace/category/classifier. */
export const FINDING_TYPES = ['Software and Configuration Checks/AWS Security Best Practices/DataFirehose.1'];

/** What the remediator concluded about a stream; each is one row of FINDING_STATES. */
export const FINDING_OUTCOMES = [
  'COMPLIANT',
  'REMEDIATED',
  'NON_COMPLIANT',
  'DEFERRED',
  'FAILED',
  'EXEMPT',
  'NOT_APPLICABLE',
  'GONE',
] as const;
export type FindingOutcome = (typeof FINDING_OUTCOMES)[number];

export type ComplianceStatus = 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE';
export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type RecordState = 'ACTIVE' | 'ARCHIVED';
export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
/** ASFF's `Resources[].Partition` values (the API's enum names these AWS partitions). */
export type AsffPartition = 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-us-iso' | 'aws-us-iso-b';

const ASFF_PARTITIONS: Readonly<Record<string, AsffPartition>> = {
  'aws-iso': 'aws-us-iso',
  'aws-iso-b': 'aws-us-iso-b',
  'aws-cn': 'aws-cn',
  'aws-us-gov': 'aws-us-gov',
};
/** The partition of a region as ASFF spells it (`aws-iso` is `aws-us-iso` there). */
const asffPartitionOf = (region: string): AsffPartition => ASFF_PARTITIONS[partitionOf(region)] ?? 'aws';

/**
 * How each outcome reads in Security Hub.
 *
 * Resolution. Security Hub: "After a finding is created, BatchImportFindings cannot be used to update
 * the following finding fields and objects, which Security Hub customers use to manage their
 * investigation workflow: Note, UserDefinedFields, VerificationState, Workflow." So `Workflow.Status`
 * is ours only when the finding is created (RESOLVED for a stream that is already encrypted); after
 * that, a finding provider resolves a finding with what it owns: `Compliance.Status` PASSED and
 * `RecordState` ARCHIVED. The way back is Security Hub's own: it "resets the workflow status from
 * NOTIFIED or RESOLVED to NEW" when "RecordState changes from ARCHIVED to ACTIVE" or "ComplianceStatus
 * changes from PASSED to either WARNING, FAILED, or NOT_AVAILABLE", so a drift reopens the finding.
 *
 * A deferred stream is FAILED, not WARNING: it is still unencrypted (WARNING is "some information is
 * missing or this check is not supported for your configuration"); the reason says when it comes back.
 * EXEMPT and NOT_APPLICABLE are NOT_AVAILABLE, as Security Hub maps an AWS Config NOT_APPLICABLE.
 */
export const FINDING_STATES = {
  COMPLIANT: { compliance: 'PASSED', severity: 'INFORMATIONAL', record: 'ARCHIVED', workflow: 'RESOLVED' },
  REMEDIATED: { compliance: 'PASSED', severity: 'INFORMATIONAL', record: 'ARCHIVED', workflow: 'RESOLVED' },
  NON_COMPLIANT: { compliance: 'FAILED', severity: 'MEDIUM', record: 'ACTIVE', workflow: 'NEW' },
  DEFERRED: { compliance: 'FAILED', severity: 'MEDIUM', record: 'ACTIVE', workflow: 'NEW' },
  // The remediator gave up: a person has to act (a key, a configuration).
  FAILED: { compliance: 'FAILED', severity: 'HIGH', record: 'ACTIVE', workflow: 'NEW' },
  EXEMPT: { compliance: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', record: 'ACTIVE', workflow: 'NEW' },
  NOT_APPLICABLE: { compliance: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', record: 'ARCHIVED', workflow: 'RESOLVED' },
  // Security Hub archives its own control findings when the resource is deleted.
  GONE: { compliance: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', record: 'ARCHIVED', workflow: 'RESOLVED' },
} as const satisfies Record<
  FindingOutcome,
  { compliance: ComplianceStatus; severity: SeverityLabel; record: RecordState; workflow: WorkflowStatus }
>;

const TITLES = {
  COMPLIANT: 'is encrypted at rest',
  REMEDIATED: 'was encrypted at rest by firehose-sse-guard',
  NON_COMPLIANT: 'is not encrypted at rest',
  DEFERRED: 'is not encrypted at rest yet: remediation deferred',
  FAILED: 'is not encrypted at rest: remediation failed',
  EXEMPT: 'is exempt from encryption by policy',
  NOT_APPLICABLE: 'is not DirectPut: its source encrypts it',
  GONE: 'was deleted',
} as const satisfies Record<FindingOutcome, string>;

/** What one finding says about one stream. */
export interface FindingInput {
  readonly stream: StreamPart;
  readonly outcome: FindingOutcome;
  /** The event's reason code (BUDGET_SPENT, KEY_PROBLEM, ENCRYPTION_DISABLED, ...). */
  readonly reason?: string;
  /** A longer human explanation (the event's details). */
  readonly details?: string;
  /** The key the stream is (or was to be) encrypted with. */
  readonly key?: KeyPart;
  /** What the remediator had left of the stream's 25 calls. */
  readonly budget?: BudgetPart;
  /** When the outcome was observed (epoch ms): `UpdatedAt`, `LastObservedAt`. */
  readonly observedAt: number;
  /** When the stream was first seen in this state, if known (epoch ms): `CreatedAt`, `FirstObservedAt`; else observedAt. */
  readonly firstObservedAt?: number;
  /** When the deferred stream is tried again (ISO 8601). */
  readonly nextAttemptAt?: string;
}

/** The ASFF finding: the subset of `AwsSecurityFinding` this project writes (the SDK's type accepts it). */
export interface AsffFinding {
  SchemaVersion: typeof ASFF_SCHEMA_VERSION;
  Id: string;
  ProductArn: string;
  ProductName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: SeverityLabel };
  FindingProviderFields: { Severity: { Label: SeverityLabel }; Types: string[] };
  Title: string;
  Description: string;
  Remediation: { Recommendation: { Text: string; Url: string } };
  ProductFields: Record<string, string>;
  Resources: { Type: 'Other'; Id: string; Partition: AsffPartition; Region: string; Details: { Other: Record<string, string> } }[];
  Compliance: { Status: ComplianceStatus; SecurityControlId: string; StatusReasons?: { ReasonCode: string; Description: string }[] };
  Workflow: { Status: WorkflowStatus };
  RecordState: RecordState;
}

/** The default product of an account and region: "arn:aws:securityhub:<region>:<account>:product/<account>/default". */
export function defaultProductArn(account: string, region: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}:${account}:product/${account}/default`;
}

/** One finding per stream, whatever its outcome: a later import with the same Id updates it. */
export function findingIdOf(stream: Pick<StreamPart, 'account' | 'region' | 'name'>): string {
  return `firehose-sse-guard/${stream.account}/${stream.region}/${stream.name}`;
}

/** Description is at most 1,024 characters. */
const DESCRIPTION_MAX = 1024;

/**
 * The finding for a stream's outcome.
 *
 * @example
 * findingOf({ stream, outcome: 'REMEDIATED', key: { keyType: 'AWS_OWNED_CMK' }, observedAt: Date.parse(event.time) });
 */
export function findingOf(input: FindingInput): AsffFinding {
  const { stream, outcome } = input;
  const state = FINDING_STATES[outcome];
  const region = stream.region;
  const partition = asffPartitionOf(region);
  const updatedAt = new Date(input.observedAt).toISOString();
  const createdAt = new Date(Math.min(input.firstObservedAt ?? input.observedAt, input.observedAt)).toISOString();
  const keyFields: Record<string, string> = input.key
    ? { keyType: input.key.keyType, ...(input.key.keyArn ? { keyArn: input.key.keyArn } : {}) }
    : {};
  const productFields: Record<string, string> = {
    'firehose-sse-guard/outcome': outcome,
    ...(input.reason ? { 'firehose-sse-guard/reason': input.reason } : {}),
    ...prefixed(keyFields),
    ...(input.budget
      ? {
          'firehose-sse-guard/budgetRemainingOurs': String(input.budget.remainingOurs),
          'firehose-sse-guard/budgetRemainingTotal': String(input.budget.remainingTotal),
        }
      : {}),
    ...(input.nextAttemptAt ? { 'firehose-sse-guard/nextAttemptAt': input.nextAttemptAt } : {}),
  };
  const severity = { Label: state.severity };
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: findingIdOf(stream),
    ProductArn: defaultProductArn(stream.account, region),
    ProductName: FINDING_PRODUCT_NAME,
    GeneratorId: FINDING_GENERATOR_ID,
    AwsAccountId: stream.account,
    Region: region,
    Types: FINDING_TYPES,
    CreatedAt: createdAt,
    UpdatedAt: updatedAt,
    FirstObservedAt: createdAt,
    LastObservedAt: updatedAt,
    Severity: severity,
    // Providers update Severity and Types through FindingProviderFields after creation (see above).
    FindingProviderFields: { Severity: severity, Types: FINDING_TYPES },
    Title: `Firehose stream ${stream.name} ${TITLES[outcome]}`,
    Description: descriptionOf(input).slice(0, DESCRIPTION_MAX),
    Remediation: {
      Recommendation: {
        Text: `${DATA_FIREHOSE_CONTROL.id}: ${DATA_FIREHOSE_CONTROL.title}. firehose-sse-guard starts server-side encryption on DirectPut streams.`,
        Url: DATA_FIREHOSE_CONTROL.url,
      },
    },
    ProductFields: productFields,
    Resources: [
      {
        Type: 'Other',
        Id: stream.arn,
        Partition: partition,
        Region: region,
        Details: { Other: { deliveryStreamName: stream.name, ...keyFields } },
      },
    ],
    Compliance: {
      Status: state.compliance,
      SecurityControlId: DATA_FIREHOSE_CONTROL.id,
      ...(input.reason
        ? { StatusReasons: [{ ReasonCode: input.reason, Description: (input.details ?? input.reason).slice(0, DESCRIPTION_MAX) }] }
        : {}),
    },
    Workflow: { Status: state.workflow },
    RecordState: state.record,
  };
}

function prefixed(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`firehose-sse-guard/${k}`, v]));
}

function descriptionOf(input: FindingInput): string {
  const parts = [`Stream ${input.stream.arn}: ${input.outcome}${input.reason ? ` (${input.reason})` : ''}.`];
  if (input.details) parts.push(/[.!?]$/.test(input.details) ? input.details : `${input.details}.`);
  if (input.key) parts.push(`Key: ${input.key.keyArn ?? input.key.keyType}.`);
  if (input.budget)
    parts.push(
      `Budget left: ${input.budget.remainingOurs} of ours, ${input.budget.remainingTotal} in all, of ${ENCRYPTION_CALLS_PER_WINDOW} Start+Stop calls per 24 hours.`,
    );
  if (input.nextAttemptAt) parts.push(`Next attempt at ${input.nextAttemptAt}.`);
  return parts.join(' ');
}

/** Splits findings into BatchImportFindings requests of at most FINDINGS_PER_IMPORT. */
export function importBatches<T>(findings: readonly T[]): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < findings.length; i += FINDINGS_PER_IMPORT) batches.push(findings.slice(i, i + FINDINGS_PER_IMPORT));
  return batches;
}

/** Imports findings into Security Hub; throws FindingImportError for any it could not import after retries. */
export interface FindingSink {
  import(findings: readonly AsffFinding[]): Promise<void>;
}

/** Findings that Security Hub refused (FailedFindings) after every retry. Nothing is dropped silently. */
export class FindingImportError extends GuardError {
  override readonly name = 'FindingImportError';

  constructor(
    message: string,
    readonly failed: readonly { id: string; errorCode?: string; errorMessage?: string }[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The per-stream outcome events that a finding follows: the deployed rule's detail-types. */
export const FINDING_EVENT_TYPES = [
  EVENT_TYPES.evaluated.detailType,
  EVENT_TYPES.remediationSucceeded.detailType,
  EVENT_TYPES.remediationDeferred.detailType,
  EVENT_TYPES.remediationFailed.detailType,
] as const;

const keyShape = z.object({ keyType: keyTypeSchema, keyArn: z.optional(z.string()) });
const budgetShape = z.object({ remainingOurs: z.number(), remainingTotal: z.number() });
/** Loose on purpose: a field added to an event does not stop its finding. */
const outcomeEventShape = z.object({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.enum(FINDING_EVENT_TYPES),
  time: z.string(),
  detail: z.object({
    stream: z.object({ account: z.string(), region: z.string(), name: z.string(), arn: z.string() }),
    occurredAt: z.optional(z.string()),
    verdict: z.optional(verdictSchema),
    reason: z.optional(z.string()),
    details: z.optional(z.string()),
    failureType: z.optional(z.string()),
    encryption: z.optional(z.object({ keyType: z.optional(keyTypeSchema), keyArn: z.optional(z.string()) })),
    key: z.optional(keyShape),
    stillEncryptedWith: z.optional(keyShape),
    budget: z.optional(budgetShape),
    nextAttemptAt: z.optional(z.string()),
    detectedAt: z.optional(z.string()),
  }),
});

const VERDICT_OUTCOMES = {
  COMPLIANT: 'COMPLIANT',
  EXEMPT: 'EXEMPT',
  NOT_APPLICABLE: 'NOT_APPLICABLE',
  GONE: 'GONE',
  // Every REMEDIATE is followed by its workflow's outcome event (Succeeded, Deferred, Failed), which
  // Conclude publishes together with the evaluation, at the same time: the evaluation must not win.
  REMEDIATE: undefined,
  // A stream still CREATING or ENABLING is looked at again: its next verdict is the finding.
  BUSY: undefined,
} as const satisfies Record<z.infer<typeof verdictSchema>, FindingOutcome | undefined>;

/**
 * The finding input of a compliance event as EventBridge delivers it, or undefined when the event
 * says nothing final about the stream (a BUSY or REMEDIATE evaluation: a workflow's outcome follows).
 * A malformed event is MalformedEventError.
 *
 * @example
 * const input = findingInputOfEvent(event); // { stream, outcome: 'REMEDIATED', key, observedAt, ... }
 */
export function findingInputOfEvent(event: unknown): FindingInput | undefined {
  const { 'detail-type': detailType, time, detail } = readShape(outcomeEventShape, event, 'compliance event');
  const observedAt = Date.parse(detail.occurredAt ?? time);
  const common = { stream: detail.stream, observedAt, ...(detail.details ? { details: detail.details } : {}) };
  switch (detailType) {
    case 'Remediation Succeeded': {
      const detectedAt = detail.detectedAt ? Date.parse(detail.detectedAt) : NaN;
      return {
        ...common,
        outcome: 'REMEDIATED',
        ...(detail.key ? { key: detail.key } : {}),
        ...(Number.isFinite(detectedAt) ? { firstObservedAt: detectedAt } : {}),
      };
    }
    case 'Remediation Deferred':
      return {
        ...common,
        outcome: 'DEFERRED',
        ...(detail.reason ? { reason: detail.reason } : {}),
        ...(detail.budget ? { budget: detail.budget } : {}),
        ...(detail.nextAttemptAt ? { nextAttemptAt: detail.nextAttemptAt } : {}),
      };
    case 'Remediation Failed': {
      const reason = [detail.reason, detail.failureType].filter(Boolean).join('/');
      return {
        ...common,
        outcome: 'FAILED',
        ...(reason ? { reason } : {}),
        ...(detail.stillEncryptedWith ? { key: detail.stillEncryptedWith } : {}),
      };
    }
    case 'Stream Evaluated': {
      const outcome = detail.verdict ? VERDICT_OUTCOMES[detail.verdict] : undefined;
      if (!outcome) return undefined;
      const keyType = detail.encryption?.keyType;
      return {
        ...common,
        outcome,
        ...(detail.reason ? { reason: detail.reason } : {}),
        ...(keyType ? { key: { keyType, ...(detail.encryption?.keyArn ? { keyArn: detail.encryption.keyArn } : {}) } } : {}),
      };
    }
  }
}
