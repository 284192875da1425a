import { ENCRYPTION_SETTLE_MS, type EncryptionStatus, type KeyType, type StreamType } from '../../functions/domain/firehose-facts.ts';
import type { KeyUnusable } from './kms.ts';

export interface StreamKey {
  keyType: KeyType;
  keyArn?: string;
}

/** An encryption change in flight; it lands when the clock reaches `at`. */
export interface PendingEncryption {
  at: number;
  outcome: 'ENABLED' | 'ENABLING_FAILED' | 'DISABLED';
  key?: StreamKey;
  failure?: KeyUnusable;
}

export interface StreamEncryption {
  status: EncryptionStatus;
  /** The key Describe reports: the target while ENABLING, the old key after a failed key change. */
  key?: StreamKey;
  failure?: KeyUnusable;
  pending?: PendingEncryption;
  /** From this time on every record is encrypted (ENABLED + the settle time); undefined: not protected. */
  protectedFrom?: number;
  /** The key that protects records now, when there is one (differs from `key` during a key change). */
  effectiveKey?: StreamKey;
}

export interface StreamRecord {
  name: string;
  arn: string;
  type: StreamType;
  status: 'CREATING' | 'ACTIVE' | 'DELETING';
  statusUntil?: number;
  createdAt: number;
  updatedAt?: number;
  versionId: number;
  encryption: StreamEncryption;
  tags: Map<string, string>;
  source?: Record<string, unknown>;
  destination: { name: string; config: unknown };
  /** Times of the accepted Start/Stop calls, for the combined 25-per-24-hours limit. */
  encryptionCalls: number[];
  records: { total: number; encrypted: number };
}

/**
 * Applies every transition whose time has come. The emulator has no timers: a stream is brought up
 * to date whenever it is read, so a jump of the clock is seen by the next call, exactly once.
 * Returns false when the stream has finished deleting.
 */
export function settle(stream: StreamRecord, now: number): boolean {
  if (stream.status === 'CREATING' && stream.statusUntil !== undefined && stream.statusUntil <= now) {
    stream.status = 'ACTIVE';
    delete stream.statusUntil;
  }
  const pending = stream.encryption.pending;
  if (pending && pending.at <= now) land(stream, pending);
  return !(stream.status === 'DELETING' && stream.statusUntil !== undefined && stream.statusUntil <= now);
}

function land(stream: StreamRecord, pending: PendingEncryption): void {
  const before = stream.encryption;
  stream.updatedAt = pending.at;
  stream.versionId += 1;
  switch (pending.outcome) {
    case 'ENABLED':
      stream.encryption = {
        status: 'ENABLED',
        ...(pending.key ? { key: pending.key, effectiveKey: pending.key } : {}),
        // A key change keeps records encrypted throughout; a first enablement needs the settle time.
        protectedFrom: before.protectedFrom ?? pending.at + ENCRYPTION_SETTLE_MS,
      };
      return;
    case 'ENABLING_FAILED':
      // "If ... you invoke this operation to change the CMK ... and you get ENABLING_FAILED ...
      // encryption remains enabled with the old CMK."
      stream.encryption = {
        status: 'ENABLING_FAILED',
        ...(pending.failure ? { failure: pending.failure } : {}),
        ...(before.effectiveKey
          ? { key: before.effectiveKey, effectiveKey: before.effectiveKey, protectedFrom: before.protectedFrom }
          : pending.key
            ? { key: pending.key }
            : {}),
      };
      return;
    case 'DISABLED':
      stream.encryption = { status: 'DISABLED' };
      return;
  }
}

/** Whether a record written now is encrypted (PutRecordOutput$Encrypted). */
export function isProtected(stream: StreamRecord, now: number): boolean {
  return stream.encryption.protectedFrom !== undefined && now >= stream.encryption.protectedFrom;
}

/** `DeliveryStreamEncryptionConfiguration` as DescribeDeliveryStream reports it. */
export function encryptionView(encryption: StreamEncryption): Record<string, unknown> {
  return {
    Status: encryption.status,
    ...(encryption.key ? { KeyType: encryption.key.keyType } : {}),
    ...(encryption.key?.keyArn ? { KeyARN: encryption.key.keyArn } : {}),
    ...(encryption.failure ? { FailureDescription: { Type: encryption.failure.type, Details: encryption.failure.details } } : {}),
  };
}

const secs = (ms: number): number => ms / 1000;

/** `DeliveryStreamDescription` as DescribeDeliveryStream reports it. */
export function describeView(stream: StreamRecord): Record<string, unknown> {
  const descriptionName = stream.destination.name.replace(/Configuration$/, 'Description');
  return {
    DeliveryStreamName: stream.name,
    DeliveryStreamARN: stream.arn,
    DeliveryStreamStatus: stream.status,
    DeliveryStreamEncryptionConfiguration: encryptionView(stream.encryption),
    DeliveryStreamType: stream.type,
    VersionId: String(stream.versionId),
    CreateTimestamp: secs(stream.createdAt),
    ...(stream.updatedAt !== undefined ? { LastUpdateTimestamp: secs(stream.updatedAt) } : {}),
    ...(stream.source ? { Source: stream.source } : {}),
    Destinations: [{ DestinationId: 'destinationId-000000000001', [descriptionName]: stream.destination.config }],
    HasMoreDestinations: false,
  };
}

/** Streams that use (or are switching to) a customer managed key, for the 500-streams-per-key limit. */
export function usesKey(stream: StreamRecord, keyArn: string): boolean {
  const e = stream.encryption;
  const active = e.status === 'ENABLED' || e.status === 'ENABLING';
  return (
    stream.status !== 'DELETING' &&
    ((active && e.key?.keyArn === keyArn) || e.effectiveKey?.keyArn === keyArn || e.pending?.key?.keyArn === keyArn)
  );
}
