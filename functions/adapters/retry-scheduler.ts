import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { RetryScheduler } from '../domain/ports.ts';
import { scheduledRetryEvent } from '../domain/intake/intake-event.ts';
import type { StreamRef } from '../domain/stream-ref.ts';

export interface SchedulerTarget {
  /** The schedule group (one per stage). */
  group: string;
  /** The role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  /** The intake Lambda: a retry goes through the intake like any trigger (lease, generation). */
  targetArn: string;
}

/** EventBridge Scheduler names: 1 to 64 of [0-9a-zA-Z-_.]. */
export const scheduleName = (id: string): string => `retry-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, at least a minute ahead (Scheduler refuses times in the past). */
export function atExpression(at: number, now: number): string {
  const when = new Date(Math.max(at, now + 60_000));
  return `at(${when.toISOString().slice(0, 19)})`;
}

/**
 * Deferrals and failures come back by themselves: a one-time EventBridge Scheduler schedule that
 * invokes the intake with a "Scheduled Retry" event at the time, then deletes itself. Idempotent: the
 * schedule's name is derived from the retry's id, and an existing one is left as it is.
 *
 * IAM: scheduler:CreateSchedule on the group's schedules; iam:PassRole on the scheduler role.
 */
export class EventBridgeRetryScheduler implements RetryScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: SchedulerTarget,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async schedule(ref: StreamRef, at: number, reason: string, id: string): Promise<void> {
    const name = scheduleName(id);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.target.group,
          ScheduleExpression: atExpression(at, this.now()),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.targetArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify(scheduledRetryEvent(ref, reason, at, name)),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConflictException || (error as { name?: string }).name === 'ConflictException') return;
      throw error;
    }
  }
}
