import { AwsServiceError, type FirehoseEmulator } from './emulator/index.ts';

const S3_DESTINATION = {
  ExtendedS3DestinationConfiguration: {
    RoleARN: 'arn:aws:iam::123456789012:role/firehose-delivery',
    BucketARN: 'arn:aws:s3:::local-delivery-bucket',
  },
};

export interface SeededAccount {
  streams: string[];
  keys: { approved: string; disabled: string };
}

/**
 * A small account of realistic streams: unencrypted DirectPut, already encrypted with the AWS owned
 * key and with a customer managed key, Kinesis- and MSK-sourced, an exempt one, and one whose
 * customer managed key has been disabled. Created through the emulator's own API path, so the
 * CloudTrail record holds every call.
 */
export async function seedAccount(emulator: FirehoseEmulator): Promise<SeededAccount> {
  const caller = { accessKeyId: 'AKIASEEDER', userAgent: 'firehose-sse-guard-seed' };
  // Seeding is a client like any other: it backs off when the control-plane rate limit answers.
  const call = async (op: string, input: Record<string, unknown>, service: 'firehose' | 'kms' = 'firehose') => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await emulator.call(service, op, input, caller);
      } catch (error) {
        if (!(error instanceof AwsServiceError) || !error.message.startsWith('Rate exceeded') || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
      }
    }
  };
  const approved = ((await call('CreateKey', { Description: 'approved SSE key' }, 'kms')).KeyMetadata as { Arn: string }).Arn;
  const disabled = ((await call('CreateKey', { Description: 'key that was disabled' }, 'kms')).KeyMetadata as { Arn: string }).Arn;
  const streams: [string, Record<string, unknown>][] = [
    ['clickstream-raw', {}],
    ['orders-events', {}],
    ['audit-trail', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } }],
    ['payments-ledger', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: approved } }],
    ['billing-export', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: disabled } }],
    [
      'kinesis-mirror',
      {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/source',
          RoleARN: 'arn:aws:iam::123456789012:role/firehose-source',
        },
      },
    ],
    [
      'msk-orders',
      {
        DeliveryStreamType: 'MSKAsSource',
        MSKSourceConfiguration: {
          MSKClusterARN: 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/1',
          TopicName: 'orders',
          AuthenticationConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose-msk', Connectivity: 'PRIVATE' },
        },
      },
    ],
    ['sandbox-scratch', { Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] }],
  ];
  for (const [name, extra] of streams) {
    await call('CreateDeliveryStream', { DeliveryStreamName: name, ...S3_DESTINATION, ...extra });
  }
  await call('DisableKey', { KeyId: disabled }, 'kms');
  return { streams: streams.map(([name]) => name), keys: { approved, disabled } };
}
