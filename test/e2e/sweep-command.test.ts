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

  it('a dry run reports where every stream stands, and what --fix would do, and exits 1 while non-compliant streams remain, calling no Start', async () => {
    const { code, text } = await run(['sweep', '--endpoint-url', emulator.endpoint, '--region', 'us-east-1']);
    expect(code).toBe(1);
    expect(text).toMatch(/^region\s+stream\s+status\s+reason\s+action$/m);
    expect(text).toMatch(/orders\s+NON_COMPLIANT\s+ENCRYPTION_DISABLED\s+would remediate \(--fix\)$/m);
    expect(text).toMatch(/audit\s+COMPLIANT$/m);
    expect(text).toMatch(/mirror\s+NOT_APPLICABLE\s+KinesisStreamAsSource$/m);
    expect(text).toMatch(/scratch\s+EXEMPT/);
    expect(text.split('\n').at(-1)).toBe('6 streams: 1 COMPLIANT, 3 NON_COMPLIANT, 1 EXEMPT, 1 NOT_APPLICABLE');
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
    // The status is where the stream ends up; the outcome column says what was done.
    expect(text).toMatch(/^region\s+stream\s+status\s+reason\s+outcome$/m);
    expect(text).toMatch(/orders\s+COMPLIANT\s+ENCRYPTION_DISABLED\s+REMEDIATED$/m);
    expect(text.split('\n').at(-1)).toBe('6 streams: 4 COMPLIANT, 0 NON_COMPLIANT, 1 EXEMPT, 1 NOT_APPLICABLE');
    expect(code).toBe(0);
    expect(starts()).toBe(3);
    for (const name of ['orders', 'clicks', 'payments']) expect(emulator.emulator.firehose.stream(name).encryption.status).toBe('ENABLED');
  }, 60_000);

  it('afterwards a dry run is clean (exit 0), and --json says so', async () => {
    const { code, text } = await run(['sweep', '--endpoint-url', emulator.endpoint, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(text) as {
      summary: { NON_COMPLIANT: number };
      mode: string;
      accounts: string[];
      streams: { verdict: string }[];
    };
    expect(json).toMatchObject({ summary: { NON_COMPLIANT: 0 }, mode: 'dry-run', accounts: ['123456789012'], exitCode: 0 });
    expect(json.streams.filter((s) => s.verdict === 'COMPLIANT')).toHaveLength(4);
  });

  it("`status` reads what the fix concluded, and each stream's budget, from the table", async () => {
    const { code, text } = await run(['status', '--table', 'ledger', '--dynamodb-endpoint-url', dynalite.endpoint]);
    expect(code).toBe(0);
    expect(text).toMatch(/^region\s+stream\s+status\s+concluded\s+reason\s+updated\s+calls 24h \(ours\/all\)$/m);
    expect(text).toMatch(/^us-east-1\s+orders\s+COMPLIANT\s+REMEDIATED\s+.*\s1\/1$/m);
    expect(text.split('\n').at(-1)).toBe('3 streams: 3 COMPLIANT, 0 NON_COMPLIANT');
    await expect(run(['status'])).rejects.toThrow('status needs --table');
  });

  it('refuses bad options clearly', async () => {
    await expect(run(['sweep', '--region', 'mars-1'])).rejects.toThrow("not a region: 'mars-1'");
    await expect(run(['sweep', '--rate', '9'])).rejects.toThrow('--rate must be above 0 and at most 5');
    await expect(run(['sweep', '--all-regions', '--region', 'us-east-1'])).rejects.toThrow('exclude each other');
    await expect(run(['sweep', '--policy', '/nonexistent.json'])).rejects.toThrow(/^--policy: /);
  });
});
