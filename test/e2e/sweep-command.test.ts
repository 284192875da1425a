import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args.ts';
import { main } from '../../cli/main.ts';
import { serveEmulator, type RunningEmulator } from '../../local/emulator/index.ts';
import { createStateTable } from '../../local/state-table.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { LOCAL_CREDENTIALS, startDynalite } from '../support/dynamo.ts';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, text: lines.join('\n') };
}

describe('firehose-sse-guard sweep, against the emulator', () => {
  let emulator: RunningEmulator;
  let dynalite: { endpoint: string; close(): Promise<void> };
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIACLI', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    emulator = await serveEmulator({ port: 0, timings: { creatingMs: 0, enablingMs: 300, disablingMs: 0 } });
    const create = (name: string, extra: Record<string, unknown> = {}) =>
      emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: name, ...S3_DESTINATION, ...extra });
    for (const name of ['orders', 'clicks', 'payments']) create(name);
    create('audit', { DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' } });
    create('mirror', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
        RoleARN: 'arn:aws:iam::123456789012:role/r',
      },
    });
    create('scratch', { Tags: [{ Key: 'sse-guard:exempt', Value: 'true' }] });
    dynalite = await startDynalite();
    const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    await createStateTable(client, 'ledger');
    client.destroy();
  });
  afterAll(async () => {
    process.env = saved;
    await emulator.close();
    await dynalite.close();
  });

  const starts = () =>
    emulator.emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' }).filter((e) => !e.detail.errorCode).length;

  it('a dry run reports every stream and exits 1 while non-compliant DirectPut streams remain, calling no Start', async () => {
    const { code, text } = await run(['sweep', '--endpoint-url', emulator.endpoint, '--region', 'us-east-1']);
    expect(code).toBe(1);
    expect(text).toMatch(/orders\s+REMEDIATE\s+ENCRYPTION_DISABLED/);
    expect(text).toMatch(/audit\s+COMPLIANT/);
    expect(text).toMatch(/mirror\s+NOT_APPLICABLE\s+KinesisStreamAsSource/);
    expect(text).toMatch(/scratch\s+EXEMPT/);
    expect(text).toContain('6 streams; 3 non-compliant DirectPut streams found');
    expect(starts()).toBe(0);
  });

  it('refuses to fix without the ledger, in one clear line', async () => {
    await expect(run(['sweep', '--endpoint-url', emulator.endpoint, '--fix'])).rejects.toThrow(UsageError);
    await expect(run(['sweep', '--endpoint-url', emulator.endpoint, '--fix'])).rejects.toThrow(
      /name the deployed ledger with --table, or pass --no-ledger/,
    );
    expect(starts()).toBe(0);
  });

  it('--fix remediates through the state machine and the ledger table, then exits 0', async () => {
    const { code, text } = await run([
      'sweep',
      '--endpoint-url',
      emulator.endpoint,
      '--fix',
      '--table',
      'ledger',
      '--dynamodb-endpoint-url',
      dynalite.endpoint,
      '--poll-seconds',
      '1',
    ]);
    expect(text).toMatch(/orders\s+REMEDIATE\s+ENCRYPTION_DISABLED\s+REMEDIATED/);
    expect(text).toContain('0 non-compliant DirectPut streams remain');
    expect(code).toBe(0);
    expect(starts()).toBe(3);
    for (const name of ['orders', 'clicks', 'payments']) expect(emulator.emulator.firehose.stream(name).encryption.status).toBe('ENABLED');
  }, 60_000);

  it('afterwards a dry run is clean (exit 0), and --json says so', async () => {
    const { code, text } = await run(['sweep', '--endpoint-url', emulator.endpoint, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(text) as { remaining: number; mode: string; account: string; streams: { verdict: string }[] };
    expect(json).toMatchObject({ remaining: 0, mode: 'dry-run', account: '123456789012' });
    expect(json.streams.filter((s) => s.verdict === 'COMPLIANT')).toHaveLength(4);
  });

  it("`status` reads what the fix concluded, and each stream's budget, from the table", async () => {
    const { code, text } = await run(['status', '--table', 'ledger', '--dynamodb-endpoint-url', dynalite.endpoint]);
    expect(code).toBe(0);
    expect(text).toMatch(/123456789012\/us-east-1\/orders\s+REMEDIATED\s+.*\s1\/1$/m);
    expect(text).toContain('3 streams in ledger');
    await expect(run(['status'])).rejects.toThrow('status needs --table');
  });

  it('refuses bad options clearly', async () => {
    await expect(run(['sweep', '--region', 'mars-1'])).rejects.toThrow("not a region: 'mars-1'");
    await expect(run(['sweep', '--rate', '9'])).rejects.toThrow('--rate must be above 0 and at most 5');
    await expect(run(['sweep', '--all-regions', '--region', 'us-east-1'])).rejects.toThrow('exclude each other');
    await expect(run(['sweep', '--policy', '/nonexistent.json'])).rejects.toThrow(/^--policy: /);
  });
});
