import type { AwsServiceError } from './errors.ts';

/**
 * The awsQuery protocol, as STS speaks it to the SDK v3 (`AwsQueryProtocol` in @aws-sdk/core), the
 * AWS CLI and boto3: a form-encoded `POST /` (or a GET with the same query string) of
 * `Action=<Operation>&Version=2011-06-15&<Member>=<value>...`, lists as `<Member>.member.<n>`, and
 * XML answers: `<OpResponse><OpResult>...</OpResult><ResponseMetadata>` or `<ErrorResponse><Error>`.
 */
export const STS_QUERY = {
  version: '2011-06-15',
  xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  /** Members whose form value is a number in the API model. */
  integers: new Set(['DurationSeconds']),
} as const;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface QueryRequest {
  action: string | undefined;
  version: string | undefined;
  input: Record<string, unknown>;
}

type Node = Record<string | number, unknown>;
/** Keys that would reach Object.prototype instead of the input. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `PolicyArns.member.1.arn` → `['PolicyArns', 0, 'arn']`: list members become array indexes. */
function pathOf(key: string): (string | number)[] {
  const parts = key.split('.');
  const path: (string | number)[] = [];
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] as string;
    const next = parts[i + 1];
    if (part === 'member' && next !== undefined && /^\d+$/.test(next)) {
      path.push(Number(next) - 1);
      i += 1;
    } else path.push(part);
  }
  return path;
}

/** Reads a form-encoded awsQuery body (or URL query string) into the operation's input structure. */
export function decodeQuery(text: string, integers: ReadonlySet<string> = STS_QUERY.integers): QueryRequest {
  const params = new URLSearchParams(text);
  const input: Node = {};
  for (const [key, raw] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = pathOf(key);
    if (path.some((segment) => UNSAFE_KEYS.has(String(segment)))) continue;
    const value = path.length === 1 && integers.has(key) && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    let node = input;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      node[segment] ??= typeof path[i + 1] === 'number' ? [] : {};
      node = node[segment] as Node;
    });
  }
  return { action: params.get('Action') ?? undefined, version: params.get('Version') ?? undefined, input };
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

function toXml(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** `<AssumeRoleResponse xmlns=...><AssumeRoleResult>...</AssumeRoleResult><ResponseMetadata>...` */
export function queryResponse(action: string, output: Record<string, unknown>, requestId: string): string {
  return (
    `<${action}Response xmlns="${STS_QUERY.xmlns}"><${action}Result>${toXml(output)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>...` */
export function queryError(error: AwsServiceError, requestId: string): string {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${STS_QUERY.xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(error.type)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}
