import {
  ENCRYPTABLE_STREAM_TYPE,
  ENCRYPTION_CALL_WINDOW_MS,
  ENCRYPTION_CALLS_PER_WINDOW,
  type KeyType,
} from '../../functions/domain/firehose-facts.ts';
import { firehoseErrors } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import type { KmsService } from './kms.ts';
import { settle, usesKey, type PendingEncryption, type StreamKey, type StreamRecord } from './streams.ts';

export interface EncryptionContext {
  kms: KmsService;
  faults: FaultInjector;
  streams: () => Iterable<StreamRecord>;
  now: number;
  enablingMs: number;
  disablingMs: number;
  streamsPerCmk: number;
  account: string;
}

/** Validates `DeliveryStreamEncryptionConfigurationInput` beyond its shape (the operation text's rules). */
export function requestedKey(input: { KeyType?: string; KeyARN?: string } | undefined): StreamKey {
  const keyType = (input?.KeyType ?? 'AWS_OWNED_CMK') as KeyType;
  if (keyType === 'CUSTOMER_MANAGED_CMK' && !input?.KeyARN) {
    throw firehoseErrors.invalidArgument('KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.');
  }
  if (keyType === 'AWS_OWNED_CMK' && input?.KeyARN) {
    throw firehoseErrors.invalidArgument('KeyARN must not be specified when KeyType is AWS_OWNED_CMK.');
  }
  return keyType === 'CUSTOMER_MANAGED_CMK' ? { keyType, keyArn: input?.KeyARN } : { keyType };
}

export function requireDirectPut(stream: StreamRecord, operation: string): void {
  if (stream.type !== ENCRYPTABLE_STREAM_TYPE) {
    throw firehoseErrors.invalidArgument(
      `${operation} is not supported for Firehose stream ${stream.arn} of type ${stream.type}: SSE applies only to DirectPut streams.`,
    );
  }
}

/** "A CMK of type CUSTOMER_MANAGED_CMK [can] encrypt up to 500 delivery streams." */
export function checkKeyCapacity(ctx: EncryptionContext, key: StreamKey, stream?: StreamRecord): void {
  if (key.keyType !== 'CUSTOMER_MANAGED_CMK' || !key.keyArn) return;
  if (stream && usesKey(stream, key.keyArn)) return;
  let users = 0;
  for (const other of ctx.streams()) if (other !== stream && usesKey(other, key.keyArn)) users += 1;
  if (users >= ctx.streamsPerCmk) {
    throw firehoseErrors.limitExceeded(
      `The customer managed key ${key.keyArn} is already used to encrypt ${users} Firehose streams; the limit is ${ctx.streamsPerCmk}.`,
    );
  }
}

/** The outcome an enablement with `key` will reach, decided when the call is accepted. */
export function enablementOutcome(ctx: EncryptionContext, stream: StreamRecord, key: StreamKey, at: number): PendingEncryption {
  const injected = ctx.faults.takeEnablementFailure(stream.name);
  if (injected) {
    return {
      at,
      outcome: 'ENABLING_FAILED',
      key,
      failure: { type: injected.type, details: injected.details ?? `Injected ${injected.type}.` },
    };
  }
  const unusable = key.keyArn ? ctx.kms.firehoseUsability(key.keyArn) : undefined;
  return unusable ? { at, outcome: 'ENABLING_FAILED', key, failure: unusable } : { at, outcome: 'ENABLED', key };
}

function requireQuiet(stream: StreamRecord, operation: string): void {
  if (stream.status !== 'ACTIVE') {
    throw firehoseErrors.resourceInUse(`Firehose stream ${stream.name} is in ${stream.status} state; ${operation} requires ACTIVE.`);
  }
  const status = stream.encryption.status;
  if (status === 'ENABLING' || status === 'DISABLING') {
    throw firehoseErrors.resourceInUse(
      `Firehose stream ${stream.name} encryption is ${status}; wait until it finishes before ${operation}.`,
    );
  }
}

/** "StartDeliveryStreamEncryption and StopDeliveryStreamEncryption ... combined limit of 25 calls per delivery stream per 24 hours." */
function spendEncryptionCall(stream: StreamRecord, now: number): void {
  stream.encryptionCalls = stream.encryptionCalls.filter((t) => t > now - ENCRYPTION_CALL_WINDOW_MS);
  if (stream.encryptionCalls.length >= ENCRYPTION_CALLS_PER_WINDOW) {
    throw firehoseErrors.limitExceeded(
      `Firehose stream ${stream.name} has exceeded the limit of ${ENCRYPTION_CALLS_PER_WINDOW} StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours.`,
    );
  }
  stream.encryptionCalls.push(now);
}

export function startEncryption(ctx: EncryptionContext, stream: StreamRecord, input: Record<string, unknown>): void {
  requireDirectPut(stream, 'StartDeliveryStreamEncryption');
  const key = requestedKey(input.DeliveryStreamEncryptionConfigurationInput as { KeyType?: string; KeyARN?: string } | undefined);
  requireQuiet(stream, 'StartDeliveryStreamEncryption');
  checkKeyCapacity(ctx, key, stream);
  spendEncryptionCall(stream, ctx.now);
  const pending = enablementOutcome(ctx, stream, key, ctx.now + ctx.enablingMs);
  stream.encryption = {
    ...stream.encryption,
    status: 'ENABLING',
    key,
    pending,
  };
  delete stream.encryption.failure;
  stream.versionId += 1;
  stream.updatedAt = ctx.now;
  settle(stream, ctx.now);
}

export function stopEncryption(ctx: EncryptionContext, stream: StreamRecord): void {
  requireDirectPut(stream, 'StopDeliveryStreamEncryption');
  requireQuiet(stream, 'StopDeliveryStreamEncryption');
  spendEncryptionCall(stream, ctx.now);
  stream.versionId += 1;
  stream.updatedAt = ctx.now;
  if (stream.encryption.status === 'DISABLED') return;
  const { effectiveKey, protectedFrom } = stream.encryption;
  stream.encryption = {
    status: 'DISABLING',
    ...(effectiveKey ? { key: effectiveKey, effectiveKey } : {}),
    ...(protectedFrom !== undefined ? { protectedFrom } : {}),
    pending: { at: ctx.now + ctx.disablingMs, outcome: 'DISABLED' },
  };
  settle(stream, ctx.now);
}

/**
 * A record written to a stream whose customer managed key has since become unusable fails with
 * InvalidKMSResourceException, as Firehose does when KMS answers AccessDenied, InvalidState,
 * Disabled or NotFound.
 */
export function checkWritableKey(ctx: EncryptionContext, stream: StreamRecord): void {
  const keyArn = stream.encryption.effectiveKey?.keyArn;
  if (!keyArn) return;
  const unusable = ctx.kms.firehoseUsability(keyArn);
  if (unusable) throw firehoseErrors.invalidKmsResource(`${unusable.type}: ${unusable.details}`);
}
