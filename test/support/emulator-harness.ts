import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { ManualClock, serveEmulator, type RunningEmulator, type ServeOptions } from '../../local/emulator/index.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const S3_DESTINATION = {
  ExtendedS3DestinationConfiguration: {
    RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose-delivery`,
    BucketARN: 'arn:aws:s3:::delivery-bucket',
  },
};

export interface Harness {
  running: RunningEmulator;
  clock: ManualClock;
  firehose: FirehoseClient;
  kms: KMSClient;
  /** A client whose calls CloudTrail attributes to another access key (in another region, when given). */
  clientAs(accessKeyId: string, region?: string): FirehoseClient;
  /** An STS client (awsQuery over HTTP) signing with that access key, in that region. */
  stsAs(accessKeyId: string, region?: string): STSClient;
  close(): Promise<void>;
}

/**
 * An emulator on a free loopback port with a manual clock, and SDK clients that talk to it over
 * HTTP. Retries are off so that every modelled error reaches the test as the service sent it.
 */
export async function startHarness(options: ServeOptions = {}): Promise<Harness> {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(Date.UTC(2026, 10, 1));
  const running = await serveEmulator({ rateLimit: false, ...options, clock, port: 0 });
  const extra: { destroy(): void }[] = [];
  const made = <C extends { destroy(): void }>(client: C): C => {
    extra.push(client);
    return client;
  };
  const config = (accessKeyId: string, region: string) => ({
    endpoint: running.endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
  const clientAs = (accessKeyId: string, region = REGION): FirehoseClient => made(new FirehoseClient(config(accessKeyId, region)));
  const stsAs = (accessKeyId: string, region = REGION): STSClient => made(new STSClient(config(accessKeyId, region)));
  const firehose = clientAs('AKIATESTUSER');
  const kms = new KMSClient({
    endpoint: running.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIATESTUSER', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
  return {
    running,
    clock,
    firehose,
    kms,
    clientAs,
    stsAs,
    close: async () => {
      for (const client of extra) client.destroy();
      kms.destroy();
      await running.close();
    },
  };
}

/** Rejects with the error an SDK call raised; fails if the call succeeded. */
export async function errorOf(promise: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { name: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
