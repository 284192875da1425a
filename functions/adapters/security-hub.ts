import { BatchImportFindingsCommand, type AwsSecurityFinding, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { FindingImportError, importBatches, type AsffFinding, type FindingSink } from '../domain/findings.ts';
import { sleep } from './sleep.ts';

const DEFAULT_ATTEMPTS = 3;
/** "The maximum allowed size for a finding is 240 Kb. An error is returned for any finding larger than 240 Kb." */
const MAX_FINDING_BYTES = 240 * 1024;

export interface SecurityHubSinkOptions {
  /** Attempts per finding, the first included. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

interface Failure {
  id: string;
  errorCode?: string;
  errorMessage?: string;
}

/** The builder's finding is a valid SDK finding: a compile error here means the two drifted apart. */
const asSdkFinding = (finding: AsffFinding): AwsSecurityFinding => finding;

/**
 * Imports findings with BatchImportFindings, 100 per request. Findings Security Hub refuses
 * (FailedCount / FailedFindings: throttling, an internal error) are sent again with backoff; whatever
 * still fails is thrown as FindingImportError, so that EventBridge retries the event (then its DLQ).
 *
 * IAM: securityhub:BatchImportFindings on the account's default product
 * (`arn:aws:securityhub:<region>:<account>:product/<account>/default`).
 */
export class SecurityHubFindingSink implements FindingSink {
  readonly #attempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: SecurityHubClient,
    options: SecurityHubSinkOptions = {},
  ) {
    this.#attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
    this.#sleep = options.sleep ?? sleep;
  }

  async import(findings: readonly AsffFinding[]): Promise<void> {
    const tooLarge = findings.filter((f) => Buffer.byteLength(JSON.stringify(f), 'utf8') > MAX_FINDING_BYTES);
    if (tooLarge.length > 0) {
      throw new FindingImportError(
        `${tooLarge.length} finding(s) exceed the 240 KB BatchImportFindings limit`,
        tooLarge.map((f) => ({ id: f.Id, errorCode: 'FindingTooLarge' })),
      );
    }
    let pending = [...findings];
    let failures: Failure[] = [];
    for (let attempt = 1; attempt <= this.#attempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await this.#sleep(200 * 2 ** (attempt - 2));
      failures = [];
      for (const batch of importBatches(pending)) failures.push(...(await this.send(batch)));
      const failed = new Set(failures.map((f) => f.id));
      pending = pending.filter((f) => failed.has(f.Id));
    }
    if (failures.length > 0) {
      throw new FindingImportError(
        `${failures.length} of ${findings.length} finding(s) were not imported into Security Hub after ${this.#attempts} attempts: ${failures
          .map((f) => `${f.id} ${f.errorCode ?? ''}`.trim())
          .join(', ')}`,
        failures,
      );
    }
  }

  /** One BatchImportFindings request; returns the findings it refused. A failed request refuses them all. */
  private async send(batch: AsffFinding[]): Promise<Failure[]> {
    try {
      const output = await this.client.send(new BatchImportFindingsCommand({ Findings: batch.map(asSdkFinding) }));
      if (!output.FailedCount) return [];
      return (output.FailedFindings ?? []).map((f) => ({
        id: f.Id ?? '',
        ...(f.ErrorCode ? { errorCode: f.ErrorCode } : {}),
        ...(f.ErrorMessage ? { errorMessage: f.ErrorMessage } : {}),
      }));
    } catch (error) {
      const e = error as { name?: string; message?: string };
      return batch.map((f) => ({ id: f.Id, errorCode: e.name ?? 'RequestFailed', ...(e.message ? { errorMessage: e.message } : {}) }));
    }
  }
}
