import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { RateLimitedError, TransientServiceError } from '../domain/errors.ts';
import type { WorkflowStarter } from '../domain/ports.ts';
import type { WorkflowInput } from '../domain/remediation/state.ts';

/**
 * Starts the remediation state machine. Step Functions makes StartExecution idempotent for a
 * running execution with the same name and input; a closed one answers ExecutionAlreadyExists,
 * which is "not started" here.
 *
 * IAM: states:StartExecution on the state machine; states:DescribeExecution on its executions.
 */
export class StepFunctionsStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: WorkflowInput): Promise<{ started: boolean }> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return { started: true };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      if (e.name === 'ExecutionAlreadyExists') return { started: false };
      if (e.name === 'ExecutionLimitExceeded' || e.name === 'ThrottlingException')
        throw new RateLimitedError(`StartExecution ${name}: ${e.message ?? ''}`, { cause: error });
      throw new TransientServiceError(`StartExecution ${name}: ${e.name ?? 'Error'}: ${e.message ?? ''}`, { cause: error });
    }
  }

  async isRunning(name: string): Promise<boolean> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return status === 'RUNNING' || status === 'PENDING_REDRIVE';
    } catch (error) {
      const e = error as { name?: string; message?: string };
      if (e.name === 'ExecutionDoesNotExist') return false;
      throw new TransientServiceError(`DescribeExecution ${name}: ${e.name ?? 'Error'}: ${e.message ?? ''}`, { cause: error });
    }
  }
}
