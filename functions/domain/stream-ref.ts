import { KMS_KEY_ARN_PATTERN, STREAM_ARN_PATTERN, STREAM_NAME_PATTERN, streamArn } from './firehose-facts.ts';
import { InvalidKeyArnError, InvalidStreamNameError } from './errors.ts';

/** Which stream: everything needed to address it in any account and region. */
export interface StreamRef {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly partition?: string;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Accepts a stream name as the API model does (1..64 of `[a-zA-Z0-9_.-]`), or throws. */
export function parseStreamName(value: unknown): string {
  if (typeof value !== 'string' || !STREAM_NAME_PATTERN.test(value)) {
    throw new InvalidStreamNameError(
      `invalid Firehose stream name ${JSON.stringify(value)}: expected 1 to 64 characters of [a-zA-Z0-9_.-]`,
    );
  }
  return value;
}

/** Builds a StreamRef after checking each part. */
export function streamRef(account: unknown, region: unknown, name: unknown, partition = 'aws'): StreamRef {
  if (typeof account !== 'string' || !ACCOUNT.test(account)) {
    throw new InvalidStreamNameError(`invalid account id ${JSON.stringify(account)}: expected 12 digits`);
  }
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new InvalidStreamNameError(`invalid region ${JSON.stringify(region)}`);
  }
  return { account, region, name: parseStreamName(name), partition };
}

/** `arn:<partition>:firehose:<region>:<account>:deliverystream/<name>` → StreamRef. */
export function parseStreamArn(value: unknown): StreamRef {
  const match = typeof value === 'string' ? STREAM_ARN_PATTERN.exec(value) : null;
  if (!match) throw new InvalidStreamNameError(`invalid Firehose stream ARN ${JSON.stringify(value)}`);
  const [, partition, region, account, name] = match as unknown as [string, string, string, string, string];
  return streamRef(account, region, name, partition);
}

export function arnOf(ref: StreamRef): string {
  return streamArn(ref.partition ?? 'aws', ref.region, ref.account, ref.name);
}

/** A stable, printable key for one stream: `<account>/<region>/<name>`. */
export function streamKey(ref: StreamRef): string {
  return `${ref.account}/${ref.region}/${ref.name}`;
}

export interface KeyArnParts {
  arn: string;
  partition: string;
  region: string;
  account: string;
  keyId: string;
}

/** Accepts a KMS key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`); alias ARNs are refused. */
export function parseKeyArn(value: unknown): KeyArnParts {
  const match = typeof value === 'string' ? KMS_KEY_ARN_PATTERN.exec(value) : null;
  if (!match) {
    const hint = typeof value === 'string' && value.includes(':alias/') ? ' (alias ARNs are not accepted; use the key ARN)' : '';
    throw new InvalidKeyArnError(`invalid KMS key ARN ${JSON.stringify(value)}${hint}`);
  }
  const [arn, partition, region, account, keyId] = match as unknown as [string, string, string, string, string];
  return { arn, partition, region, account, keyId };
}
