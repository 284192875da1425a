import { randomUUID } from 'node:crypto';

/** `detail.userIdentity` of a CloudTrail record. */
export type UserIdentity = Record<string, unknown> & { type: string; arn: string };

/** An assumed-role caller: `sessionContext.sessionIssuer.arn` names the role (the loop guard's field). */
export function assumedRoleIdentity(roleArn: string, sessionName: string, accessKeyId: string): UserIdentity {
  const [, partition = 'aws', , , account = '', resource = ''] = roleArn.split(':');
  const roleName = resource.replace(/^role\/(.*\/)?/, '');
  const principalId = `AROA${account.slice(0, 12).padEnd(12, '0')}EMU`;
  return {
    type: 'AssumedRole',
    principalId: `${principalId}:${sessionName}`,
    arn: `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`,
    accountId: account,
    accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId, arn: roleArn, accountId: account, userName: roleName },
      attributes: { mfaAuthenticated: 'false' },
    },
  };
}

export function iamUserIdentity(account: string, userName: string, accessKeyId: string, partition = 'aws'): UserIdentity {
  return {
    type: 'IAMUser',
    principalId: `AIDA${userName
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 16)}`,
    arn: `arn:${partition}:iam::${account}:user/${userName}`,
    accountId: account,
    accessKeyId,
    userName,
  };
}

/** The EventBridge envelope of a CloudTrail management or data event ("AWS API Call via CloudTrail"). */
export interface CloudTrailEvent {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown> & { eventName: string; eventID: string; errorCode?: string };
}

export interface ApiCall {
  service: 'firehose' | 'kms' | 'sts' | 'organizations' | 'account';
  operation: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
  error?: { type: string; message: string };
  identity: UserIdentity;
  account: string;
  region: string;
  time: number;
  requestId: string;
  sourceIp: string;
  userAgent: string;
}

const READ_ONLY = /^(Describe|List|Get)/;
const DATA_EVENTS = new Set(['PutRecord', 'PutRecordBatch']);
/** Members CloudTrail leaves out of requestParameters (record payloads). */
const OMITTED = new Set(['Record', 'Records']);

function lowerFirstKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerFirstKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !OMITTED.has(k))
      .map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), lowerFirstKeys(v)]),
  );
}

function responseElements(call: ApiCall): unknown {
  if (call.error || !call.output) return null;
  if (call.operation === 'CreateDeliveryStream') return lowerFirstKeys(call.output);
  if (call.operation === 'CreateKey') return lowerFirstKeys(call.output);
  if (call.operation === 'AssumeRole') {
    // CloudTrail keeps the new key id and its expiry, never the secret.
    const { Credentials, AssumedRoleUser } = call.output as { Credentials?: Record<string, unknown>; AssumedRoleUser?: unknown };
    return {
      credentials: { accessKeyId: Credentials?.AccessKeyId, expiration: Credentials?.Expiration },
      assumedRoleUser: lowerFirstKeys(AssumedRoleUser),
    };
  }
  return null;
}

export function toCloudTrailEvent(call: ApiCall): CloudTrailEvent {
  const iso = new Date(call.time).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const dataEvent = DATA_EVENTS.has(call.operation);
  const eventId = randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${call.service}`,
    account: call.account,
    time: iso,
    region: call.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: call.identity,
      eventTime: iso,
      eventSource: `${call.service}.amazonaws.com`,
      eventName: call.operation,
      awsRegion: call.region,
      sourceIPAddress: call.sourceIp,
      userAgent: call.userAgent,
      ...(call.error ? { errorCode: call.error.type, errorMessage: call.error.message } : {}),
      requestParameters: lowerFirstKeys(call.input),
      responseElements: responseElements(call),
      requestID: call.requestId,
      eventID: eventId,
      readOnly: READ_ONLY.test(call.operation),
      eventType: 'AwsApiCall',
      managementEvent: !dataEvent,
      recipientAccountId: call.account,
      eventCategory: dataEvent ? 'Data' : 'Management',
    },
  };
}

export type CloudTrailSubscriber = (event: CloudTrailEvent) => void;

/** Every call the emulator answers, as CloudTrail would deliver it to EventBridge. */
export class CloudTrailRecorder {
  readonly #events: CloudTrailEvent[] = [];
  readonly #subscribers = new Set<CloudTrailSubscriber>();

  record(call: ApiCall): CloudTrailEvent {
    const event = toCloudTrailEvent(call);
    this.#events.push(event);
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch {
        // A failing subscriber must not fail the API call that produced the event.
      }
    }
    return event;
  }

  /** Calls `subscriber` for every later event; returns the function that unsubscribes. */
  subscribe(subscriber: CloudTrailSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  events(filter: { eventName?: string; since?: number } = {}): CloudTrailEvent[] {
    return this.#events.filter(
      (e, i) =>
        (filter.eventName === undefined || e.detail.eventName === filter.eventName) && (filter.since === undefined || i >= filter.since),
    );
  }

  get size(): number {
    return this.#events.length;
  }

  clear(): void {
    this.#events.length = 0;
  }
}

export const newRequestId = (): string => randomUUID();
