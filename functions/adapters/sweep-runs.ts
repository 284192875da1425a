import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { TransientServiceError } from '../domain/errors.ts';
import type { SweepRuns } from '../domain/ports.ts';

/**
 * The sweep state machine's running executions (ListExecutions, RUNNING, one page of 10 is enough to
 * tell whether another one runs).
 *
 * IAM: states:ListExecutions on the sweep state machine.
 */
export class StepFunctionsSweepRuns implements SweepRuns {
  constructor(private readonly client: SFNClient) {}

  async othersRunning(stateMachineArn: string, ownExecutionArn: string): Promise<boolean> {
    try {
      const { executions } = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 10 }),
      );
      return (executions ?? []).some((e) => e.executionArn !== ownExecutionArn);
    } catch (error) {
      const e = error as { name?: string; message?: string };
      throw new TransientServiceError(`ListExecutions: ${e.name ?? 'Error'}: ${e.message ?? ''}`, { cause: error });
    }
  }
}
