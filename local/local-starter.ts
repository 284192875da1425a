import { deadLetterMessage, type DeadLetter } from '../functions/adapters/sqs-dead-letters.ts';
import type { Clock, DeadLetterQueue, WorkflowStarter } from '../functions/domain/ports.ts';
import type { WorkflowInput } from '../functions/domain/remediation/state.ts';
import type { ExecutionReport, WorkflowRunner } from './workflow-runner.ts';

const CLEANUP_ATTEMPTS = 185;

/**
 * StartExecution for the local account, with Step Functions' naming rules: a running name started
 * again is the same execution; a closed name is refused. Executions run in the background. An
 * execution that ends FAILED is handed to `onFailed` before it counts as ended, as the deployed rule
 * on "Execution Status Change" hands it to the cleanup function.
 */
export class LocalWorkflowStarter implements WorkflowStarter {
  readonly #executions = new Map<string, { running: boolean; report: Promise<ExecutionReport> }>();
  readonly #running = new Set<Promise<ExecutionReport>>();
  readonly reports: ExecutionReport[] = [];
  /** Called with every execution that failed (the cleanup). */
  onFailed: (report: ExecutionReport, input: WorkflowInput) => Promise<void> = async () => {};
  /** Counts each execution, with its cleanup, as busy on the local time (virtual time). */
  track: <T>(work: () => Promise<T>) => Promise<T> = (work) => work();

  constructor(private readonly runner: WorkflowRunner) {}

  async start(name: string, input: WorkflowInput): Promise<{ started: boolean }> {
    const existing = this.#executions.get(name);
    if (existing) return { started: existing.running };
    const entry = { running: true, report: Promise.resolve(undefined as unknown as ExecutionReport) };
    entry.report = this.track(() =>
      this.runner.run(name, input).then(async (report) => {
        if (report.status === 'FAILED') await this.cleanUp(report, input);
        entry.running = false;
        this.#running.delete(entry.report);
        this.reports.push(report);
        return report;
      }),
    );
    this.#running.add(entry.report);
    this.#executions.set(name, entry);
    return { started: true };
  }

  async isRunning(name: string): Promise<boolean> {
    return this.#executions.get(name)?.running ?? false;
  }

  /** As the deployed rule does: the cleanup is retried (EventBridge: up to 185 times), then dead-lettered. */
  private async cleanUp(report: ExecutionReport, input: WorkflowInput): Promise<void> {
    for (let attempt = 1; attempt <= CLEANUP_ATTEMPTS; attempt += 1) {
      try {
        await this.onFailed(report, input);
        return;
      } catch (error) {
        if (attempt === CLEANUP_ATTEMPTS) this.cleanupFailures.push({ execution: report.name, error: String(error) });
      }
    }
  }

  readonly cleanupFailures: { execution: string; error: string }[] = [];

  get started(): number {
    return this.#executions.size;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Waits until every execution started so far (and any they lead to) has ended. */
  async drain(): Promise<void> {
    while (this.running > 0) await Promise.allSettled([...this.#running]);
  }
}

/**
 * The local dead-letter queue: each letter as the SQS queue would hold it (the same deadLetterMessage,
 * so the same bounds), with the size of its body.
 */
export class LocalDeadLetters implements DeadLetterQueue {
  readonly letters: (DeadLetter & { bytes: number })[] = [];

  constructor(private readonly clock: Clock = { now: () => Date.now() }) {}

  async send(event: unknown, reason: string): Promise<void> {
    const { letter, bytes } = deadLetterMessage(event, reason, this.clock.now());
    this.letters.push({ ...letter, bytes });
  }
}
