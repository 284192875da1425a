import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { TransientServiceError } from '../domain/errors.ts';
import { keyedCache } from './keyed-cache.ts';
import { deniedFirehoseAction } from '../domain/key-policy.ts';
import type { KeyCheck, KeyInspector } from '../domain/ports.ts';
import { parseKeyArn } from '../domain/stream-ref.ts';

interface SdkError {
  name?: string;
  message?: string;
}

/**
 * The pre-flight check of a customer managed key, so that a key that cannot work does not burn one
 * of the stream's 25 calls: it must exist, be enabled, be symmetric ENCRYPT_DECRYPT, and its policy
 * must not deny Firehose. A check that is itself denied (no kms:DescribeKey / kms:GetKeyPolicy) says
 * "unknown" and lets Firehose judge.
 *
 * IAM: kms:DescribeKey, kms:GetKeyPolicy on the approved key ARNs.
 */
export class SdkKeyInspector implements KeyInspector {
  constructor(private readonly clientFor: (region: string) => KMSClient) {}

  static forConfig(config: KMSClientConfig = {}): SdkKeyInspector {
    return new SdkKeyInspector(keyedCache((region) => new KMSClient({ maxAttempts: 4, ...config, region })));
  }

  async check(keyArn: string): Promise<KeyCheck> {
    const { arn, region } = parseKeyArn(keyArn);
    const client = this.clientFor(region);
    let metadata;
    try {
      metadata = (await client.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
    } catch (error) {
      const e = error as SdkError;
      if (e.name === 'NotFoundException') return { usable: false, failureType: 'KMS_KEY_NOT_FOUND', details: `Key ${arn} does not exist.` };
      if (e.name === 'AccessDeniedException')
        return { usable: 'unknown', details: `kms:DescribeKey on ${arn} was denied: ${e.message ?? ''}` };
      throw new TransientServiceError(`DescribeKey ${arn}: ${e.name ?? 'Error'}: ${e.message ?? ''}`, { cause: error });
    }
    if (metadata?.KeyState === 'Disabled') return { usable: false, failureType: 'DISABLED_KMS_KEY', details: `Key ${arn} is disabled.` };
    if (metadata?.KeyState !== 'Enabled') {
      return { usable: false, failureType: 'INVALID_KMS_KEY', details: `Key ${arn} is ${metadata?.KeyState ?? 'in an unknown state'}.` };
    }
    const spec = metadata.KeySpec ?? metadata.CustomerMasterKeySpec;
    if (spec !== 'SYMMETRIC_DEFAULT' || metadata.KeyUsage !== 'ENCRYPT_DECRYPT') {
      return {
        usable: false,
        failureType: 'INVALID_KMS_KEY',
        details: `Key ${arn} is ${spec}/${metadata.KeyUsage}; Firehose needs a symmetric ENCRYPT_DECRYPT key.`,
      };
    }
    return this.policyCheck(client, arn);
  }

  private async policyCheck(client: KMSClient, arn: string): Promise<KeyCheck> {
    let policy: string | undefined;
    try {
      policy = (await client.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' }))).Policy;
    } catch (error) {
      const e = error as SdkError;
      if (e.name === 'AccessDeniedException') return { usable: 'unknown', details: `kms:GetKeyPolicy on ${arn} was denied.` };
      throw new TransientServiceError(`GetKeyPolicy ${arn}: ${e.name ?? 'Error'}: ${e.message ?? ''}`, { cause: error });
    }
    const denied = policy ? safeDenied(policy) : undefined;
    return denied
      ? { usable: false, failureType: 'KMS_ACCESS_DENIED', details: `The key policy of ${arn} denies ${denied} to firehose.amazonaws.com.` }
      : { usable: true };
  }
}

function safeDenied(policy: string): string | undefined {
  try {
    return deniedFirehoseAction(policy);
  } catch {
    return undefined;
  }
}
