import type { WorkflowStarter } from '../functions/domain/ports.ts';
import type { WorkflowInput } from '../functions/domain/remediation/state.ts';
import type { ExecutionReport, WorkflowRunner } from './workflow-runner.ts';

/**
 * StartExecution for the local account, with Step Functions' naming rules: a running name started
 * again is the same execution; a closed name is refused. Executions run in the background.
 */
export class LocalWorkflowStarter implements WorkflowStarter {
  readonly #executions = new Map<string, { running: boolean; report: Promise<ExecutionReport> }>();
  readonly reports: ExecutionReport[] = [];

  constructor(private readonly runner: WorkflowRunner) {}

  async start(name: string, input: WorkflowInput): Promise<{ started: boolean }> {
    const existing = this.#executions.get(name);
    if (existing) return { started: existing.running };
    const entry = { running: true, report: Promise.resolve(undefined as unknown as ExecutionReport) };
    entry.report = this.runner.run(name, input).then((report) => {
      entry.running = false;
      this.reports.push(report);
      return report;
    });
    this.#executions.set(name, entry);
    return { started: true };
  }

  get started(): number {
    return this.#executions.size;
  }

  get running(): number {
    return [...this.#executions.values()].filter((e) => e.running).length;
  }

  /** Waits until every execution started so far (and any they lead to) has ended. */
  async drain(): Promise<void> {
    while (this.running > 0) await Promise.allSettled([...this.#executions.values()].map((e) => e.report));
  }
}

/** The local dead-letter queue. */
export class LocalDeadLetters {
  readonly letters: { event: unknown; reason: string }[] = [];

  async send(event: unknown, reason: string): Promise<void> {
    this.letters.push({ event, reason });
  }
}
