import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveEmulator, type RunningEmulator } from '../../local/emulator/index.ts';

const run = promisify(execFile);

/** The AWS CLI (v1, Python) against `firehose-sse-guard emulator`: the README's commands, verbatim. */
describe('conformance: the AWS CLI works against the emulator unchanged', () => {
  let running: RunningEmulator;
  const aws = async (...args: string[]) => {
    const { stdout } = await run('aws', [...args, '--endpoint-url', running.endpoint, '--region', 'us-east-1', '--output', 'json'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIALOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_PAGER: '' },
    });
    return JSON.parse(stdout || '{}') as Record<string, unknown>;
  };
  beforeAll(async () => {
    running = await serveEmulator({ port: 0, timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
  });
  afterAll(() => running.close());

  it('creates, describes, lists, starts and stops encryption', async () => {
    const created = await aws(
      'firehose',
      'create-delivery-stream',
      '--delivery-stream-name',
      'cli-demo',
      '--extended-s3-destination-configuration',
      'RoleARN=arn:aws:iam::123456789012:role/r,BucketARN=arn:aws:s3:::bucket',
    );
    expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:123456789012:deliverystream/cli-demo');
    expect(await aws('firehose', 'list-delivery-streams')).toEqual({ DeliveryStreamNames: ['cli-demo'], HasMoreDeliveryStreams: false });

    await aws(
      'firehose',
      'start-delivery-stream-encryption',
      '--delivery-stream-name',
      'cli-demo',
      '--delivery-stream-encryption-configuration-input',
      'KeyType=AWS_OWNED_CMK',
    );
    const described = (await aws('firehose', 'describe-delivery-stream', '--delivery-stream-name', 'cli-demo')) as {
      DeliveryStreamDescription: { DeliveryStreamStatus: string; DeliveryStreamEncryptionConfiguration: unknown };
    };
    expect(described.DeliveryStreamDescription.DeliveryStreamStatus).toBe('ACTIVE');
    expect(described.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration).toEqual({
      KeyType: 'AWS_OWNED_CMK',
      Status: 'ENABLED',
    });

    await aws('firehose', 'stop-delivery-stream-encryption', '--delivery-stream-name', 'cli-demo');
    const stopped = (await aws('firehose', 'describe-delivery-stream', '--delivery-stream-name', 'cli-demo')) as {
      DeliveryStreamDescription: { DeliveryStreamEncryptionConfiguration: unknown };
    };
    expect(stopped.DeliveryStreamDescription.DeliveryStreamEncryptionConfiguration).toEqual({ Status: 'DISABLED' });
    expect(running.emulator.cloudTrail.events().map((e) => e.detail.userAgent)).toEqual(
      expect.arrayContaining([expect.stringContaining('aws-cli')]),
    );
  });

  it("runs the README's second-terminal block as written, waits and all, against the default timings", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const after = readme.slice(readme.indexOf('In a second terminal, use any AWS client'));
    const block = /```bash\n([\s\S]*?)```/.exec(after)![1]!;
    expect(block).toContain('stop-delivery-stream-encryption');
    const paced = await serveEmulator({ port: 0 }); // default timings: CREATING 1 s, ENABLING 2 s
    try {
      const { AWS_PROFILE: _profile, ...env } = process.env; // the block exports its own credentials
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.replaceAll('http://127.0.0.1:4566', paced.endpoint)], { env });
      expect(stdout).toContain('"KeyId"');
      const calls = paced.emulator.cloudTrail.events().filter((e) => /DeliveryStreamEncryption$/.test(e.detail.eventName));
      expect(calls.map((e) => [e.detail.eventName, e.detail.errorCode ?? 'accepted'])).toEqual([
        ['StartDeliveryStreamEncryption', 'accepted'],
        ['StopDeliveryStreamEncryption', 'accepted'],
      ]);
    } finally {
      await paced.close();
    }
  });

  it('reports a modelled error with its code and a non-zero exit', async () => {
    const failure = await aws('firehose', 'describe-delivery-stream', '--delivery-stream-name', 'missing').catch(
      (e: { code: number; stderr: string }) => e,
    );
    // CLI v1 exits 255 on a service error, v2 254.
    expect([254, 255]).toContain((failure as { code: number }).code);
    expect((failure as { stderr: string }).stderr).toContain('ResourceNotFoundException');
  });
});
