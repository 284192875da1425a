import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { expect } from 'vitest';
import type { MotoServer } from './moto.ts';

const run = promisify(execFile);

export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: Record<string, unknown>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: (Statement | null)[];
}
export interface Role {
  RoleName: string;
  Arn: string;
  AssumeRolePolicyDocument: PolicyDocument;
  Description: string;
  MaxSessionDuration: number;
}
export interface Stack {
  StackStatus: string;
  StackStatusReason?: string;
  Outputs?: { OutputKey: string; OutputValue: string }[];
}
export interface Deployed {
  outputs: Record<string, string>;
  /** Logical id → physical id of what was created. */
  resources: Record<string, string>;
}

/**
 * CloudFormation, IAM and EventBridge on moto_server through the AWS CLI (the project has no
 * CloudFormation or IAM SDK client): deploy a template, read back what it created, delete it.
 */
export function motoStacks(moto: () => MotoServer) {
  const events = new Map<string, EventBridgeClient>();
  const aws = async <T>(region: string, ...args: string[]): Promise<T> => {
    const { AWS_PROFILE: _profile, ...env } = process.env;
    const { stdout } = await run('aws', [...args, '--endpoint-url', moto().endpoint, '--region', region, '--output', 'json'], {
      env: { ...env, AWS_ACCESS_KEY_ID: 'AKIALOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_PAGER: '' },
    });
    return JSON.parse(stdout || '{}') as T;
  };
  /** The error output of a call that must fail, or `succeeded`. */
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => 'succeeded',
      (e: { stderr?: string; message?: string }) => e.stderr ?? e.message ?? 'failed',
    );
  const bus = (region: string) => {
    const client =
      events.get(region) ??
      new EventBridgeClient({ endpoint: moto().endpoint, region, credentials: { accessKeyId: 'AKIALOCAL', secretAccessKey: 'local' } });
    events.set(region, client);
    return client;
  };

  async function settled(region: string, name: string): Promise<Stack> {
    for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 500))) {
      const { Stacks } = await aws<{ Stacks: Stack[] }>(region, 'cloudformation', 'describe-stacks', '--stack-name', name);
      if (!Stacks[0]!.StackStatus.endsWith('_IN_PROGRESS') || Date.now() > deadline) return Stacks[0]!;
    }
  }
  const createStack = (template: URL, region: string, name: string, parameters: Record<string, string>) => {
    const list = JSON.stringify(Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })));
    const body = ['--template-body', `file://${template.pathname}`, '--capabilities', 'CAPABILITY_NAMED_IAM', '--parameters', list];
    return aws(region, 'cloudformation', 'create-stack', '--stack-name', name, ...body);
  };

  async function deploy(template: URL, region: string, name: string, parameters: Record<string, string>): Promise<Deployed> {
    await createStack(template, region, name, parameters);
    const stack = await settled(region, name);
    expect(stack.StackStatus, stack.StackStatusReason).toBe('CREATE_COMPLETE');
    const { StackResourceSummaries } = await aws<{ StackResourceSummaries: { LogicalResourceId: string; PhysicalResourceId: string }[] }>(
      region,
      'cloudformation',
      'list-stack-resources',
      '--stack-name',
      name,
    );
    return {
      outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])),
      resources: Object.fromEntries(
        StackResourceSummaries.filter((r) => r.LogicalResourceId).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]),
      ),
    };
  }

  async function remove(region: string, name: string): Promise<void> {
    await aws(region, 'cloudformation', 'delete-stack', '--stack-name', name);
    const after = await failure(settled(region, name).then((s) => Promise.reject(new Error(s.StackStatus))));
    expect(after).toMatch(/DELETE_COMPLETE|does not exist/);
  }

  /** Every role of the account (IAM is global), by name. */
  const roles = () =>
    aws<{ Roles: Role[] }>('us-east-1', 'iam', 'list-roles').then(({ Roles }) => new Map(Roles.map((r) => [r.RoleName, r] as const)));
  /** A role's inline policy's statements. */
  async function inlinePolicy(roleName: string, policyName: string): Promise<Statement[]> {
    const names = ['--role-name', roleName, '--policy-name', policyName];
    const { PolicyDocument } = await aws<{ PolicyDocument: PolicyDocument | string }>('us-east-1', 'iam', 'get-role-policy', ...names);
    const document =
      typeof PolicyDocument === 'string'
        ? (JSON.parse(PolicyDocument.replaceAll("'", '"').replace(/\bNone\b/g, 'null')) as PolicyDocument)
        : PolicyDocument;
    return document.Statement.filter((s): s is Statement => s !== null);
  }
  const rules = async (region: string) => (await bus(region).send(new ListRulesCommand({}))).Rules ?? [];

  return {
    aws,
    failure,
    bus,
    settled,
    createStack,
    deploy,
    remove,
    roles,
    inlinePolicy,
    rules,
    destroy: () => events.forEach((c) => c.destroy()),
  };
}
