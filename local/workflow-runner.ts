import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Clock } from './emulator/clock.ts';
import { ManualClock } from './emulator/clock.ts';
import type { LocalTime } from './virtual-time.ts';
import { Meter, type CallMeter } from './metering.ts';
import { assertSupportedNode } from './node-version.ts';

assertSupportedNode();

export const STATE_MACHINE_FILE = new URL('../infra/state-machine.asl.json', import.meta.url);

/** A Lambda handler (a middy handler takes more arguments; the runner passes event and context). */
type TaskHandler = (...args: never[]) => Promise<unknown>;
type Invoke = (event: unknown, context: unknown) => Promise<unknown>;
type AslState = { Type: string; Resource?: unknown; Next?: string; ItemProcessor?: { States: Record<string, AslState> } };
export type Definition = { States: Record<string, AslState> } & Record<string, unknown>;

/** What one execution did, counted: the figures the README's cost table comes from. */
export interface ExecutionReport {
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  /** States entered, in order; their count is the billed state transitions. */
  states: string[];
  transitions: number;
  lambdaInvocations: Record<string, number>;
  lambdaInvocationTotal: number;
  firehoseCalls: Record<string, number>;
  firehoseWriteCalls: number;
  dynamoWrites: number;
  kmsCalls: number;
  eventBridgeCalls: number;
}

const FIREHOSE_WRITES = ['StartDeliveryStreamEncryption', 'StopDeliveryStreamEncryption', 'CreateDeliveryStream', 'DeleteDeliveryStream'];
const DYNAMO_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** The function each Task state invokes: `Fn::GetAtt: [<function>, Arn]` in the ASL. */
function functionOf(state: AslState): string | undefined {
  const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return resource?.['Fn::GetAtt']?.[0];
}

/**
 * The deployable definition with each `Fn::GetAtt: [<function>, Arn]` Task resource replaced by the
 * Lambda ARN CloudFormation would put there; nothing else changes.
 */
export function runnableDefinition(
  definition: Definition,
  identity: { account: string; region: string },
): { definition: Definition; taskFunctions: Record<string, string> } {
  const runnable = structuredClone(definition);
  const taskFunctions: Record<string, string> = {};
  // Task states at any depth: a Map state's item processor has its own (the sweep machine's).
  const visit = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
      const fn = functionOf(state);
      if (state.Type !== 'Task' || !fn) continue;
      taskFunctions[name] = fn;
      state.Resource = `arn:aws:lambda:${identity.region}:${identity.account}:function:firehose-sse-guard-${fn}`;
    }
  };
  visit(runnable.States);
  return { definition: runnable, taskFunctions };
}

/**
 * Runs infra/state-machine.asl.json, the same file serverless.yml deploys, with aws-local-stepfunctions
 * and the real handlers. Wait states pass at once on the wall clock while the manual clock (the
 * emulator's and the handlers') jumps by the wait the workflow asked for, so a 24-hour budget wait
 * takes no time. Task retries are immediate.
 */
export class WorkflowRunner {
  readonly definition: Definition;
  /**
   * Called around every task invocation (fault injection: a Lambda that crashes before or after its
   * work). Throwing from it fails that invocation as Lambda would, and the ASL's Retry and Catch apply.
   */
  intercept?: (fn: string, when: 'before' | 'after' | 'end', input: unknown) => void;
  /**
   * Virtual time (local/virtual-time.ts): a Wait sleeps the execution on it instead of jumping the
   * clock. The caller runs each execution as its own unit of work (the local starter does).
   */
  time?: LocalTime;
  readonly #machine: StateMachine;
  readonly #taskFunctions: Record<string, string>;

  constructor(
    private readonly handlers: Record<string, TaskHandler>,
    private readonly clock: Clock,
    private readonly meter: CallMeter,
    private readonly identity: { account: string; region: string } = { account: '123456789012', region: 'us-east-1' },
    /** Wait and retry for real (against AWS or a live endpoint) instead of jumping a manual clock. */
    private readonly realTime = false,
  ) {
    this.definition = JSON.parse(readFileSync(STATE_MACHINE_FILE, 'utf8')) as Definition;
    const { definition: runnable, taskFunctions } = runnableDefinition(this.definition, identity);
    this.#taskFunctions = taskFunctions;
    for (const [name, fn] of Object.entries(taskFunctions)) {
      if (!handlers[fn]) throw new Error(`no local handler for function '${fn}' (state ${name})`);
    }
    this.#machine = new StateMachine(runnable as never, { validationOptions: { checkPaths: true, checkArn: true } });
  }

  /** Runs one execution to its end and reports what it did. */
  async run(name: string, input: unknown): Promise<ExecutionReport> {
    const meter = new Meter();
    const invocations: Record<string, number> = {};
    let appliedWait = 0;
    const local: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [stateName, fn] of Object.entries(this.#taskFunctions)) {
      local[stateName] = async (taskInput: unknown) => {
        appliedWait = await this.applyWait(taskInput, appliedWait);
        invocations[fn] = (invocations[fn] ?? 0) + 1;
        const context = {
          functionName: `firehose-sse-guard-${fn}`,
          awsRequestId: `${name}-${fn}-${invocations[fn]}`,
          getRemainingTimeInMillis: () => 60_000,
        };
        try {
          this.intercept?.(fn, 'before', taskInput);
          const output = await this.meter.within(meter, () => (this.handlers[fn] as Invoke)(taskInput, context));
          this.intercept?.(fn, 'after', taskInput);
          return output as never;
        } finally {
          this.intercept?.(fn, 'end', taskInput);
        }
      };
    }
    const waits = Object.fromEntries(
      Object.entries(this.definition.States)
        .filter(([, s]) => s.Type === 'Wait')
        .map(([n]) => [n, 0]),
    );
    const retries = Object.fromEntries(Object.keys(this.#taskFunctions).map((n) => [n, 0]));
    const execution = this.#machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: local,
        ...(this.realTime ? {} : { waitTimeOverrides: waits, retryIntervalOverrides: retries }),
      },
      context: {
        Execution: { Name: name, Id: name, Input: input as never, StartTime: new Date(this.clock.now()).toISOString(), RoleArn: '' },
      },
    });
    const states: string[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') states.push(event.state.name);
      }
    })();
    let output: unknown;
    let error: string | undefined;
    try {
      output = await execution.result;
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    await collecting;
    const firehoseCalls = meter.byOperation('firehose');
    return {
      name,
      status: error === undefined ? 'SUCCEEDED' : 'FAILED',
      ...(output !== undefined ? { output } : {}),
      ...(error !== undefined ? { error } : {}),
      states,
      transitions: states.length,
      lambdaInvocations: invocations,
      lambdaInvocationTotal: Object.values(invocations).reduce((a, b) => a + b, 0),
      firehoseCalls,
      firehoseWriteCalls: meter.total('firehose', FIREHOSE_WRITES),
      dynamoWrites: meter.total('dynamodb', DYNAMO_WRITES),
      kmsCalls: meter.total('kms'),
      eventBridgeCalls: meter.total('eventbridge'),
    };
  }

  /** Moves the manual clock by the wait the previous Wait state took, once per wait (or sleeps on virtual time). */
  private async applyWait(input: unknown, applied: number): Promise<number> {
    const wait = (input as { wait?: { id: number; seconds?: number; until?: string } } | null)?.wait;
    if (!wait || wait.id <= applied) return Math.max(applied, wait?.id ?? 0);
    if (this.time) {
      if (wait.seconds !== undefined) await this.time.sleep(wait.seconds * 1000);
      else if (wait.until !== undefined) await this.time.sleepUntil(Date.parse(wait.until));
      return wait.id;
    }
    if (!(this.clock instanceof ManualClock)) return wait.id;
    if (wait.seconds !== undefined) this.clock.advance(wait.seconds * 1000);
    else if (wait.until !== undefined) this.clock.set(Math.max(this.clock.now(), Date.parse(wait.until)));
    return wait.id;
  }
}
