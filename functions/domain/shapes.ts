/**
 * The shapes that cross from one use case to another through a port (a workflow's input, a sweep's
 * cursor). A leaf: it imports types only, so ports.ts depends on no use case.
 */
import type { Verdict } from './decision.ts';
import type { Trigger } from './events.ts';

export type SweepTotals = Record<Verdict, number> & { streams: number };

/** The input that starts an execution: which stream, why, since when. */
export interface WorkflowInput {
  stream: { account: string; region: string; name: string };
  trigger: Trigger;
  detectedAt?: number;
  correlationId: string;
}

/** Where a sweep is; handed from one invocation to the next when time runs short. */
export interface SweepCursor {
  sweepId: string;
  account: string;
  regions: string[];
  regionIndex: number;
  /** The last stream name done in the current region. */
  startAfter?: string;
  startedAt: number;
  invocations: number;
  totals: SweepTotals;
  nonCompliant: { name: string; region: string; reason: string }[];
  truncated: boolean;
  workflowsStarted: number;
  alreadyRunning: number;
}
