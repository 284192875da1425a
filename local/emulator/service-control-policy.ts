import { readFileSync } from 'node:fs';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import type { UserIdentity } from './cloudtrail.ts';
import { AwsServiceError } from './errors.ts';
import type { FirehoseService } from './firehose.ts';

/**
 * Service control policies for the local account: a small IAM policy evaluator, written from the IAM
 * and Organizations documentation (links in infra/organization-guardrail.yml), not from this project's
 * own rules. It models what the guardrail needs and refuses what it does not model (numeric, date and
 * IP operators, ForAnyValue/ForAllValues, policy variables, Principal), rather than guess.
 */

/** Organizations' quota for one SCP document, whitespace included (the API keeps the text as given). */
export const SCP_MAX_CHARACTERS = 5_120;
/** The template whose Content is the guardrail policy (the single source of its text). */
export const GUARDRAIL_TEMPLATE = new URL('../../infra/organization-guardrail.yml', import.meta.url);
/** AWS attaches this SCP to the root, every OU and every account when SCPs are enabled. */
export const FULL_AWS_ACCESS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';

export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
}

/** Each base operator: does it negate, and how one policy value matches the request's value. */
const OPERATORS = {
  StringEquals: { negated: false, matches: (p, a) => p === a },
  StringNotEquals: { negated: true, matches: (p, a) => p === a },
  StringEqualsIgnoreCase: { negated: false, matches: (p, a) => p.toLowerCase() === a.toLowerCase() },
  StringNotEqualsIgnoreCase: { negated: true, matches: (p, a) => p.toLowerCase() === a.toLowerCase() },
  StringLike: { negated: false, matches: (p, a) => glob(p, a) },
  StringNotLike: { negated: true, matches: (p, a) => glob(p, a) },
  // "ArnEquals and ArnLike ... behave identically", as do ArnNotEquals and ArnNotLike.
  ArnEquals: { negated: false, matches: (p, a) => arnMatches(p, a) },
  ArnLike: { negated: false, matches: (p, a) => arnMatches(p, a) },
  ArnNotEquals: { negated: true, matches: (p, a) => arnMatches(p, a) },
  ArnNotLike: { negated: true, matches: (p, a) => arnMatches(p, a) },
  Bool: { negated: false, matches: (p, a) => p.toLowerCase() === a.toLowerCase() },
  Null: { negated: false, matches: () => false }, // decided on presence alone, in conditionHolds
} satisfies Record<string, { negated: boolean; matches: (pattern: string, actual: string) => boolean }>;
type BaseOperator = keyof typeof OPERATORS;

export interface Condition {
  readonly operator: BaseOperator;
  readonly ifExists: boolean;
  readonly key: string;
  readonly values: readonly string[];
}

export interface Statement {
  /** The Sid, or the statement's place when it has none. */
  readonly name: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: { readonly not: boolean; readonly patterns: readonly string[] };
  readonly resources: { readonly not: boolean; readonly patterns: readonly string[] };
  readonly conditions: readonly Condition[];
}

export interface AuthorizationRequest {
  /** `service:Operation`, e.g. `firehose:StopDeliveryStreamEncryption`. */
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (names compare ignoring case); `undefined` is an absent key. */
  readonly context: Readonly<Record<string, string | undefined>>;
}

export interface Decision {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** The statement that decided: the first matching Deny, else the first matching Allow. */
  readonly statement?: string;
  /** Which of the policies holds that statement (its index in the list evaluated). */
  readonly policy?: number;
}

const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0) throw new PolicyDocumentError(`${where}: empty list`);
  return list.map((v) => {
    if (typeof v !== 'string' && typeof v !== 'boolean' && typeof v !== 'number') throw new PolicyDocumentError(`${where}: not a string`);
    const s = String(v);
    if (s.includes('${')) throw new PolicyDocumentError(`${where}: policy variables are not modelled (${s})`);
    return s;
  });
}

function element(raw: Record<string, unknown>, name: string, where: string): { not: boolean; patterns: string[] } {
  const [has, hasNot] = [raw[name] !== undefined, raw[`Not${name}`] !== undefined];
  if (has === hasNot) throw new PolicyDocumentError(`${where}: needs exactly one of ${name} and Not${name}`);
  return { not: hasNot, patterns: strings(has ? raw[name] : raw[`Not${name}`], `${where}.${has ? '' : 'Not'}${name}`) };
}

function conditions(raw: unknown, where: string): Condition[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) throw new PolicyDocumentError(`${where}.Condition: expected an object`);
  return Object.entries(raw).flatMap(([name, block]) => {
    const ifExists = name.endsWith('IfExists');
    const operator = (ifExists ? name.slice(0, -'IfExists'.length) : name) as BaseOperator;
    if (!Object.hasOwn(OPERATORS, operator) || (ifExists && operator === 'Null'))
      throw new PolicyDocumentError(`${where}.Condition: operator ${name} is not modelled`);
    if (!isRecord(block)) throw new PolicyDocumentError(`${where}.Condition.${name}: expected an object`);
    return Object.entries(block).map(([key, values]) => ({
      operator,
      ifExists,
      key,
      values: strings(values, `${where}.Condition.${name}.${key}`),
    }));
  });
}

/**
 * Parses an SCP document (JSON text or the parsed object) into statements, refusing what an SCP may
 * not hold (Principal) and what this evaluator does not model, so that nothing is silently ignored.
 */
export function parsePolicyDocument(document: unknown, label = 'policy'): Statement[] {
  let raw: unknown = document;
  if (typeof document === 'string') {
    try {
      raw = JSON.parse(document);
    } catch (error) {
      throw new PolicyDocumentError(`${label}: not JSON (${(error as Error).message})`, { cause: error });
    }
  }
  if (!isRecord(raw)) throw new PolicyDocumentError(`${label}: expected one JSON object`);
  const extra = Object.keys(raw).filter((k) => !['Version', 'Id', 'Statement'].includes(k));
  if (extra.length > 0) throw new PolicyDocumentError(`${label}: unknown element ${extra.join(', ')}`);
  if (raw.Version !== '2012-10-17') throw new PolicyDocumentError(`${label}: Version must be "2012-10-17"`);
  const list = Array.isArray(raw.Statement) ? (raw.Statement as unknown[]) : [raw.Statement];
  return list.map((s, i) => {
    const where = `${label}.Statement[${i}]`;
    if (!isRecord(s)) throw new PolicyDocumentError(`${where}: expected an object`);
    const unknown = Object.keys(s).filter((k) => !STATEMENT_ELEMENTS.has(k));
    if (unknown.length > 0) throw new PolicyDocumentError(`${where}: ${unknown.join(', ')} not allowed in an SCP statement`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyDocumentError(`${where}: Effect must be Allow or Deny`);
    if (s.Sid !== undefined && (typeof s.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(s.Sid)))
      throw new PolicyDocumentError(`${where}: Sid must be letters and digits`);
    return {
      name: typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : where,
      effect: s.Effect,
      actions: element(s, 'Action', where),
      resources: element(s, 'Resource', where),
      conditions: conditions(s.Condition, where),
    };
  });
}

/** `*` any run of characters, `?` one character; everything else literal. */
function glob(pattern: string, value: string, flags = ''): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, `s${flags}`).test(value);
}

/** The six colon-separated components of an ARN; the last (the resource) keeps any further colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** ArnLike: "Each of the six colon-delimited components of the ARN is checked separately", case-sensitively. */
function arnMatches(pattern: string, arn: string): boolean {
  const [p, a] = [arnParts(pattern), arnParts(arn)];
  return p !== undefined && a !== undefined && p.every((part, i) => glob(part, a[i] as string));
}

function lookup(context: AuthorizationRequest['context'], key: string): string | undefined {
  const name = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase() && context[k] !== undefined);
  return name === undefined ? undefined : context[name];
}

/**
 * One operator on one key. Several values are ORed ("any of"); a negated operator holds when the value
 * matches none of them. An absent key fails every operator except the negated ones (true), the
 * ...IfExists forms (true) and Null, which tests presence.
 */
function conditionHolds(condition: Condition, context: AuthorizationRequest['context']): boolean {
  const actual = lookup(context, condition.key);
  if (condition.operator === 'Null') return condition.values.some((v) => (v.toLowerCase() === 'true') === (actual === undefined));
  const { negated, matches } = OPERATORS[condition.operator];
  if (actual === undefined) return condition.ifExists || negated;
  const any = condition.values.some((v) => matches(v, actual));
  return negated ? !any : any;
}

function statementApplies(statement: Statement, request: AuthorizationRequest): boolean {
  const action = statement.actions.patterns.some((p) => glob(p, request.action, 'i'));
  const resource = statement.resources.patterns.some((p) => p === '*' || arnMatches(p, request.resource));
  return (
    action !== statement.actions.not &&
    resource !== statement.resources.not &&
    statement.conditions.every((c) => conditionHolds(c, request.context))
  );
}

/**
 * The SCPs that apply to an account, flattened: an explicit Deny in any of them wins, then any Allow.
 * Nothing is allowed without an Allow, so pass FULL_AWS_ACCESS as AWS attaches it by default. Not
 * modelled: that every level of the hierarchy (root, each OU, the account) must allow on its own.
 *
 * @example
 * evaluateServiceControlPolicies([FULL_AWS_ACCESS, renderGuardrailPolicy()], {
 *   action: 'firehose:StopDeliveryStreamEncryption', resource: streamArn, context: { 'aws:PrincipalArn': roleArn },
 * }); // { decision: 'ExplicitDeny', statement: 'DenyStopEncryptionUnlessExemptOrBreakGlass' }
 */
export function evaluateServiceControlPolicies(
  policies: readonly (string | readonly Statement[])[],
  request: AuthorizationRequest,
): Decision {
  const applying = policies.flatMap((p, policy) =>
    (typeof p === 'string' ? parsePolicyDocument(p, `policy[${policy}]`) : p)
      .filter((s) => statementApplies(s, request))
      .map((s) => ({ effect: s.effect, statement: s.name, policy })),
  );
  const decisive = applying.find((s) => s.effect === 'Deny') ?? applying.find((s) => s.effect === 'Allow');
  if (!decisive) return { decision: 'ImplicitDeny' };
  return { decision: decisive.effect === 'Deny' ? 'ExplicitDeny' : 'Allow', statement: decisive.statement, policy: decisive.policy };
}

// ---- The guardrail, read from its CloudFormation template -------------------------------------------

export interface TemplateParameter {
  readonly type: 'String' | 'CommaDelimitedList';
  readonly default?: string;
  readonly allowedPattern?: string;
}
export type ParameterValues = Readonly<Record<string, string | readonly string[]>>;

const INTRINSICS = ['Sub', 'Join', 'GetAtt', 'If', 'Equals', 'Not', 'Select', 'Split'];
/** CloudFormation's short forms (!Ref, !Sub ...) as the long forms they stand for. */
const CFN_TAGS: (ScalarTag | CollectionTag)[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  ...INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [`Fn::${name}`]: seq.toJSON() as unknown }) },
  ]),
];

/** The template's parameters and the policy's Content, still as CloudFormation intrinsics. */
export function readGuardrailTemplate(file: URL = GUARDRAIL_TEMPLATE): { parameters: Record<string, TemplateParameter>; content: unknown } {
  const template: unknown = parse(readFileSync(file, 'utf8'), { customTags: CFN_TAGS });
  const shape = (v: unknown, what: string): Record<string, unknown> => {
    if (!isRecord(v)) throw new PolicyDocumentError(`${file.pathname}: ${what} is missing`);
    return v;
  };
  const root = shape(template, 'the template');
  const policies = Object.values(shape(root.Resources, 'Resources')).filter((r) => isRecord(r) && r.Type === 'AWS::Organizations::Policy');
  if (policies.length !== 1) throw new PolicyDocumentError(`${file.pathname}: expected one AWS::Organizations::Policy`);
  const parameters: Record<string, TemplateParameter> = {};
  for (const [name, p] of Object.entries(shape(root.Parameters, 'Parameters'))) {
    const { Type: type, Default: def, AllowedPattern: pattern } = shape(p, `parameter ${name}`);
    if (type !== 'String' && type !== 'CommaDelimitedList') throw new PolicyDocumentError(`parameter ${name}: type ${String(type)}`);
    const extra = {
      ...(typeof def === 'string' ? { default: def } : {}),
      ...(typeof pattern === 'string' ? { allowedPattern: pattern } : {}),
    };
    parameters[name] = { type, ...extra };
  }
  return { parameters, content: shape(shape(policies[0], 'the policy').Properties, 'Properties').Content };
}

/** Ref, Fn::Join and Fn::Sub over parameter values and AWS::Partition: what the Content uses, no more. */
function evaluate(node: unknown, values: Readonly<Record<string, string | readonly string[]>>): string | readonly string[] {
  if (typeof node === 'string') return node;
  const ref = (name: string) => {
    const value = values[name];
    if (value === undefined) throw new PolicyDocumentError(`unresolved reference ${name}`);
    return value;
  };
  if (isRecord(node) && typeof node.Ref === 'string') return ref(node.Ref);
  if (isRecord(node) && Array.isArray(node['Fn::Join'])) {
    const [separator, list] = node['Fn::Join'] as unknown[];
    const items = evaluate(list, values);
    if (typeof separator !== 'string' || typeof items === 'string') throw new PolicyDocumentError('Fn::Join needs a separator and a list');
    return items.join(separator);
  }
  if (isRecord(node) && node['Fn::Sub'] !== undefined) {
    const [text, map] = Array.isArray(node['Fn::Sub']) ? (node['Fn::Sub'] as unknown[]) : [node['Fn::Sub'], {}];
    if (typeof text !== 'string' || !isRecord(map)) throw new PolicyDocumentError('Fn::Sub needs a string and a map');
    const local = { ...values, ...Object.fromEntries(Object.entries(map).map(([k, v]) => [k, evaluate(v, values)])) };
    return text.replace(/\$\{([\w:.]+)\}/g, (_m, name: string) => {
      const value = local[name] ?? ref(name);
      if (typeof value !== 'string') throw new PolicyDocumentError(`Fn::Sub cannot insert the list ${name}`);
      return value;
    });
  }
  throw new PolicyDocumentError(`intrinsic not modelled: ${JSON.stringify(node)}`);
}

/**
 * The guardrail SCP exactly as the template deploys it (whitespace and all), for the given parameter
 * values over the template's defaults. Values are checked against each parameter's AllowedPattern, as
 * CloudFormation does; a list parameter takes an array or a comma-separated string.
 *
 * @example
 * renderGuardrailPolicy({ BreakGlassRoleArns: ['arn:aws:iam::*:role/ops/break-glass-*'] });
 */
export function renderGuardrailPolicy(overrides: ParameterValues = {}, partition = 'aws'): string {
  const { parameters, content } = readGuardrailTemplate();
  const values: Record<string, string | readonly string[]> = { 'AWS::Partition': partition };
  for (const [name, parameter] of Object.entries(parameters)) {
    const given = overrides[name] ?? parameter.default;
    if (given === undefined) continue; // no default and not asked for (TargetIds): the Content must not need it
    const value = parameter.type === 'CommaDelimitedList' && typeof given === 'string' ? given.split(',') : given;
    // CloudFormation matches the pattern against the whole value (each item of a list).
    const pattern = parameter.allowedPattern === undefined ? undefined : new RegExp(`^(?:${parameter.allowedPattern})$`, 'u');
    for (const item of typeof value === 'string' ? [value] : value)
      if (pattern && !pattern.test(item))
        throw new PolicyDocumentError(`parameter ${name}: ${JSON.stringify(item)} fails ${parameter.allowedPattern}`);
    values[name] = value;
  }
  const unknown = Object.keys(overrides).filter((name) => !Object.hasOwn(parameters, name));
  if (unknown.length > 0) throw new PolicyDocumentError(`no such parameter: ${unknown.join(', ')}`);
  const text = evaluate(content, values);
  if (typeof text !== 'string') throw new PolicyDocumentError('the policy Content must evaluate to text');
  return text;
}

// ---- The local account: refusing calls an attached SCP denies ----------------------------------------

/** aws:PrincipalArn: for an assumed role, the role (with its path), not the session. */
export function principalArnOf(identity: UserIdentity): string {
  const issuer =
    isRecord(identity.sessionContext) && isRecord(identity.sessionContext.sessionIssuer) ? identity.sessionContext.sessionIssuer : {};
  return identity.type === 'AssumedRole' && typeof issuer.arn === 'string' ? issuer.arn : identity.arn;
}

/**
 * The AccessDeniedException message of an SCP deny, in the format of the IAM page "Troubleshoot access
 * denied error messages"; AWS now appends the denying policy's ARN for callers in the same organization.
 */
export function serviceControlPolicyDenial(
  request: { callerArn: string; action: string; resource: string; policyArn?: string },
  decision: Decision,
): string {
  const head = `User: ${request.callerArn} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  if (decision.decision !== 'ExplicitDeny') return `${head} because no service control policy allows the ${request.action} action`;
  return `${head} with an explicit deny in a service control policy${request.policyArn ? `: ${request.policyArn}` : ''}`;
}

/** The account and region a call acts in: an emulator cell, or the emulator's home. */
export type AccountRegion = Readonly<{ account: string; region: string; partition: string; firehose: Pick<FirehoseService, 'stream'> }>;

/**
 * The SCPs of the local accounts, as if attached at the root. `authorize` runs before a Firehose
 * operation and throws the AccessDeniedException AWS returns; a refused call never reaches Firehose,
 * so it spends none of the stream's 25 calls. As in AWS, they bind neither service-linked roles nor
 * the management account.
 */
export class ServiceControlPolicies {
  readonly #attached: { statements: readonly Statement[]; arn?: string }[] = [];

  constructor(readonly options: { readonly managementAccountId?: string } = {}) {}

  /** Attaches a policy (JSON text); the first one attached makes FULL_AWS_ACCESS the default Allow. */
  attach(document: string, arn?: string): void {
    if (document.length > SCP_MAX_CHARACTERS) throw new PolicyDocumentError(`${document.length} characters, over ${SCP_MAX_CHARACTERS}`);
    if (this.#attached.length === 0) this.#attached.push({ statements: parsePolicyDocument(FULL_AWS_ACCESS, 'FullAWSAccess') });
    this.#attached.push({ statements: parsePolicyDocument(document, arn ?? `policy[${this.#attached.length}]`), ...(arn ? { arn } : {}) });
  }

  detachAll(): void {
    this.#attached.length = 0;
  }

  authorize(call: { service: string; operation: string; input: unknown; identity: UserIdentity }, cell: AccountRegion): void {
    if (this.#attached.length === 0 || call.service !== 'firehose') return; // KMS and STS calls are not authorized here
    const principalArn = principalArnOf(call.identity);
    const { account: accountId, region, partition } = cell;
    if (accountId === this.options.managementAccountId || /:role\/aws-service-role\//.test(principalArn)) return;
    const name = isRecord(call.input) && typeof call.input.DeliveryStreamName === 'string' ? call.input.DeliveryStreamName : undefined;
    let tags = new Map<string, string>();
    let resource = name === undefined ? '*' : `arn:${partition}:firehose:${region}:${accountId}:deliverystream/${name}`;
    try {
      if (name !== undefined) ({ tags, arn: resource } = cell.firehose.stream(name));
    } catch {
      // no such stream: authorized on its ARN without tags; Firehose then answers ResourceNotFoundException
    }
    const context = Object.fromEntries([
      ['aws:PrincipalArn', principalArn],
      ['aws:PrincipalAccount', accountId],
      ...[...tags].map(([k, v]) => [`aws:ResourceTag/${k}`, v]),
    ]) as Record<string, string>;
    const action = `firehose:${call.operation}`;
    const decision = evaluateServiceControlPolicies(
      this.#attached.map((p) => p.statements),
      { action, resource, context },
    );
    if (decision.decision === 'Allow') return;
    const arn = decision.policy === undefined ? undefined : this.#attached[decision.policy]?.arn;
    const message = serviceControlPolicyDenial(
      { callerArn: call.identity.arn, action, resource, ...(arn ? { policyArn: arn } : {}) },
      decision,
    );
    throw new AwsServiceError('AccessDeniedException', message);
  }
}
