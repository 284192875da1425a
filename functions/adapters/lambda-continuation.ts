import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SweepContinuation } from '../domain/ports.ts';
import type { SweepCursor } from '../domain/sweep/sweep.ts';

/**
 * Continues a sweep in a new asynchronous invocation of the sweep function itself, so that an
 * account with thousands of streams never meets the Lambda time limit.
 *
 * IAM: lambda:InvokeFunction on the sweep function only.
 */
export class LambdaContinuation implements SweepContinuation {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async continueWith(cursor: SweepCursor): Promise<void> {
    await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ cursor })),
      }),
    );
  }
}
