import { randomUUID } from 'node:crypto';
import type { EncryptionFailureType } from '../../functions/domain/firehose-facts.ts';
import type { Clock } from './clock.ts';
import { kmsErrors, protocolErrors } from './errors.ts';
import { defaultKeyPolicy, deniedFirehoseAction, parsePolicy, withFirehoseDenied } from './key-policy.ts';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface KmsKey {
  keyId: string;
  arn: string;
  keySpec: string;
  keyUsage: string;
  keyState: KeyState;
  description: string;
  createdAt: number;
  deletionDate?: number;
  policy: string;
}

/** Why Firehose could not use a key, as `FailureDescription` reports it. */
export interface KeyUnusable {
  type: EncryptionFailureType;
  details: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const secs = (ms: number): number => ms / 1000;

/** A KMS subset: the key lifecycle and the key facts that decide whether Firehose can use a key. */
export class KmsService {
  readonly #keys = new Map<string, KmsKey>();

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly partition: string,
    private readonly clock: Clock,
  ) {}

  createKey(input: { KeySpec?: string; CustomerMasterKeySpec?: string; KeyUsage?: string; Description?: string; Policy?: string }): KmsKey {
    const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    const keyUsage = input.KeyUsage ?? (keySpec.startsWith('HMAC') ? 'GENERATE_VERIFY_MAC' : 'ENCRYPT_DECRYPT');
    checkSpecAndUsage(keySpec, keyUsage);
    if (input.Policy !== undefined) checkPolicy(input.Policy);
    const keyId = randomUUID();
    const key: KmsKey = {
      keyId,
      arn: `arn:${this.partition}:kms:${this.region}:${this.account}:key/${keyId}`,
      keySpec,
      keyUsage,
      keyState: 'Enabled',
      description: input.Description ?? '',
      createdAt: this.clock.now(),
      policy: input.Policy ?? defaultKeyPolicy(this.account, this.partition),
    };
    this.#keys.set(keyId, key);
    return key;
  }

  /** Finds a key by id or key ARN, as KMS resolves `KeyId`. */
  find(keyIdOrArn: string): KmsKey | undefined {
    if (keyIdOrArn.startsWith('arn:')) {
      const key = this.#keys.get(keyIdOrArn.split('/').pop() ?? '');
      return key?.arn === keyIdOrArn ? key : undefined;
    }
    return this.#keys.get(keyIdOrArn);
  }

  get(keyIdOrArn: string): KmsKey {
    if (keyIdOrArn.startsWith('alias/') || keyIdOrArn.includes(':alias/')) {
      throw kmsErrors.notFound(`Alias ${keyIdOrArn} is not found.`);
    }
    const key = this.find(keyIdOrArn);
    if (!key) throw kmsErrors.notFound(`Key '${keyIdOrArn}' does not exist`);
    return key;
  }

  enableKey(keyId: string): void {
    const key = this.get(keyId);
    if (key.keyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.arn} is pending deletion.`);
    key.keyState = 'Enabled';
  }

  disableKey(keyId: string): void {
    const key = this.get(keyId);
    if (key.keyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.arn} is pending deletion.`);
    key.keyState = 'Disabled';
  }

  scheduleKeyDeletion(keyId: string, pendingWindowInDays = 30): KmsKey {
    const key = this.get(keyId);
    if (pendingWindowInDays < 7 || pendingWindowInDays > 30) {
      throw protocolErrors.validation(
        `1 validation error detected: Value '${pendingWindowInDays}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`,
      );
    }
    if (key.keyState === 'PendingDeletion') throw kmsErrors.invalidState(`${key.arn} is pending deletion.`);
    key.keyState = 'PendingDeletion';
    key.deletionDate = this.clock.now() + pendingWindowInDays * DAY_MS;
    return key;
  }

  cancelKeyDeletion(keyId: string): KmsKey {
    const key = this.get(keyId);
    if (key.keyState !== 'PendingDeletion') throw kmsErrors.invalidState(`${key.arn} is not pending deletion.`);
    key.keyState = 'Disabled';
    delete key.deletionDate;
    return key;
  }

  putKeyPolicy(keyId: string, policy: string, policyName = 'default'): void {
    if (policyName !== 'default') throw kmsErrors.notFound(`Policy ${policyName} is not found.`);
    checkPolicy(policy);
    this.get(keyId).policy = policy;
  }

  /** Adds (or removes) an explicit Deny of Firehose encrypt/decrypt to the key's policy. */
  denyFirehose(keyId: string, deny = true): void {
    const key = this.get(keyId);
    key.policy = withFirehoseDenied(key.policy, deny);
  }

  /** Sets a key's state directly (fault injection), bypassing the API's transition rules. */
  setKeyState(keyId: string, state: KeyState): void {
    const key = this.get(keyId);
    key.keyState = state;
    if (state === 'PendingDeletion') key.deletionDate ??= this.clock.now() + 30 * DAY_MS;
    else delete key.deletionDate;
  }

  reset(): void {
    this.#keys.clear();
  }

  list(): KmsKey[] {
    return [...this.#keys.values()];
  }

  /**
   * Whether Firehose can encrypt with this key ARN: "The CMK must be enabled and the key policy
   * mustn't explicitly deny ... Kinesis Data Firehose doesn't support asymmetric CMKs."
   */
  firehoseUsability(keyArn: string): KeyUnusable | undefined {
    const key = this.find(keyArn);
    if (!key) return { type: 'KMS_KEY_NOT_FOUND', details: `Key ${keyArn} does not exist.` };
    if (key.keyState === 'Disabled') return { type: 'DISABLED_KMS_KEY', details: `Key ${keyArn} is disabled.` };
    if (key.keyState === 'PendingDeletion') {
      return { type: 'INVALID_KMS_KEY', details: `Key ${keyArn} is pending deletion (KMSInvalidStateException).` };
    }
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.keyUsage !== 'ENCRYPT_DECRYPT') {
      return {
        type: 'INVALID_KMS_KEY',
        details: `Key ${keyArn} is ${key.keySpec}/${key.keyUsage}; Firehose supports only symmetric ENCRYPT_DECRYPT keys.`,
      };
    }
    const denied = deniedFirehoseAction(key.policy);
    if (denied) return { type: 'KMS_ACCESS_DENIED', details: `The key policy of ${keyArn} denies firehose.amazonaws.com ${denied}.` };
    return undefined;
  }

  /** The KeyMetadata structure of DescribeKey and CreateKey. */
  metadata(key: KmsKey): Record<string, unknown> {
    const symmetric = key.keySpec === 'SYMMETRIC_DEFAULT';
    return {
      AWSAccountId: this.account,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: secs(key.createdAt),
      Enabled: key.keyState === 'Enabled',
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.keyState,
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: key.keySpec,
      CustomerMasterKeySpec: key.keySpec,
      MultiRegion: false,
      ...(key.keyUsage === 'ENCRYPT_DECRYPT'
        ? { EncryptionAlgorithms: symmetric ? ['SYMMETRIC_DEFAULT'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
        : {}),
      ...(key.deletionDate !== undefined ? { DeletionDate: secs(key.deletionDate) } : {}),
    };
  }

  /** Dispatches one KMS API operation (input already validated against its shape). */
  handle(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    const keyId = input.KeyId as string;
    switch (operation) {
      case 'CreateKey':
        return { KeyMetadata: this.metadata(this.createKey(input)) };
      case 'DescribeKey':
        return { KeyMetadata: this.metadata(this.get(keyId)) };
      case 'EnableKey':
        this.enableKey(keyId);
        return {};
      case 'DisableKey':
        this.disableKey(keyId);
        return {};
      case 'ScheduleKeyDeletion': {
        const key = this.scheduleKeyDeletion(keyId, (input.PendingWindowInDays as number | undefined) ?? 30);
        const window = Math.round(((key.deletionDate ?? 0) - this.clock.now()) / DAY_MS);
        return { KeyId: key.arn, DeletionDate: secs(key.deletionDate ?? 0), KeyState: key.keyState, PendingWindowInDays: window };
      }
      case 'CancelKeyDeletion':
        return { KeyId: this.cancelKeyDeletion(keyId).arn };
      case 'GetKeyPolicy': {
        const name = (input.PolicyName as string | undefined) ?? 'default';
        if (name !== 'default') throw kmsErrors.notFound(`Policy ${name} is not found.`);
        return { Policy: this.get(keyId).policy, PolicyName: 'default' };
      }
      case 'PutKeyPolicy':
        this.putKeyPolicy(keyId, input.Policy as string, (input.PolicyName as string | undefined) ?? 'default');
        return {};
      case 'ListKeys':
        return { Keys: this.list().map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: false };
      default:
        throw protocolErrors.unknownOperation(`Unknown operation TrentService.${operation}`);
    }
  }
}

function checkSpecAndUsage(keySpec: string, keyUsage: string): void {
  const allowed =
    keySpec === 'SYMMETRIC_DEFAULT'
      ? ['ENCRYPT_DECRYPT']
      : keySpec.startsWith('HMAC')
        ? ['GENERATE_VERIFY_MAC']
        : keySpec.startsWith('RSA')
          ? ['ENCRYPT_DECRYPT', 'SIGN_VERIFY']
          : ['SIGN_VERIFY', 'KEY_AGREEMENT'];
  if (!allowed.includes(keyUsage)) {
    throw protocolErrors.validation(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`);
  }
}

function checkPolicy(policy: string): void {
  try {
    parsePolicy(policy);
  } catch (error) {
    throw kmsErrors.malformedPolicy(`The policy is not a valid JSON key policy: ${(error as Error).message}`);
  }
}
