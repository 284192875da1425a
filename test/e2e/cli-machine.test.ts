import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import Ajv from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsffFinding } from '../../functions/domain/findings.ts';
import { serveEmulator, type RunningEmulator } from '../../local/emulator/index.ts';
import { createStateTable } from '../../local/state-table.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';
import { LOCAL_CREDENTIALS, startDynalite } from '../support/dynamo.ts';

const root = new URL('../..', import.meta.url).pathname;
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIALOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };
// The handlers log and record metrics as in Lambda: none of it may reach stdout.
const LOGGING = { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' };

type AjvLike = { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const addFormats = addFormatsModule as unknown as (ajv: AjvLike) => AjvLike;
const AjvClass = Ajv as unknown as new (options: object) => AjvLike;
const validate = addFormats(new AjvClass({ allErrors: true, strict: true })).compile(
  JSON.parse(readFileSync(join(root, 'cli/result.schema.json'), 'utf8')) as object,
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installed command (cli/bin.js) in a child process, as CI runs it. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile('node', ['cli/bin.js', ...args], { cwd: root, env: { ...process.env, ...CREDENTIALS, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Result {
  schemaVersion: string;
  command: string;
  mode: string;
  streams: { name: string; status: string; verdict?: string; outcome?: string; error?: string; key?: { type: string } }[];
  summary: Record<string, number>;
  exitCode: number;
}

function parsed(run: Run): Result {
  const result = JSON.parse(run.stdout) as Result;
  expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
  return result;
}

describe('the command line for machines: stdout, formats, exit codes, errors, Ctrl-C', () => {
  let emulator: RunningEmulator;
  let dynalite: { endpoint: string; close(): Promise<void> };
  let html: Server;
  let htmlUrl: string;
  const streams = ['orders', 'clicks', 'payments'];

  beforeAll(async () => {
    emulator = await serveEmulator({ port: 0, rateLimit: false, timings: { creatingMs: 0, enablingMs: 300, disablingMs: 0 } });
    for (const name of streams) emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: name, ...S3_DESTINATION });
    emulator.emulator.firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: 'audit',
      ...S3_DESTINATION,
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
    dynalite = await startDynalite();
    const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    await createStateTable(client, 'ledger');
    client.destroy();
    html = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>It works</body></html>');
    }).listen(0, '127.0.0.1');
    await once(html, 'listening');
    htmlUrl = `http://127.0.0.1:${(html.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await emulator.close();
    await dynalite.close();
    html.close();
  });

  it('--version prints the version of package.json, alone', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('a dry run with findings exits 1; its JSON follows the schema, and stderr has no progress when piped', async () => {
    const run = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--output', 'json'], LOGGING);
    const result = parsed(run);
    expect(run.code).toBe(1);
    expect(result).toMatchObject({ schemaVersion: '1', command: 'sweep', mode: 'dry-run', exitCode: 1 });
    expect(result.summary).toMatchObject({ total: 4, COMPLIANT: 1, NON_COMPLIANT: 3, ERROR: 0 });
    expect(run.stderr).not.toContain('\r');
  });

  it('sweep --fix --json: stdout is the JSON alone while the handlers log (to stderr); exit 0 once all are fixed', async () => {
    const run = await cli(
      ['sweep', '--endpoint-url', emulator.endpoint, '--fix', '--table', 'ledger', '--dynamodb-endpoint-url', dynalite.endpoint].concat([
        '--poll-seconds',
        '1',
        '--concurrency',
        '2',
        '--json',
      ]),
      LOGGING,
    );
    const result = parsed(run);
    expect(run.code).toBe(0);
    expect(result.mode).toBe('fix');
    expect(result.streams.find((s) => s.name === 'orders')).toMatchObject({
      status: 'COMPLIANT',
      verdict: 'REMEDIATE',
      outcome: 'REMEDIATED',
      key: { type: 'AWS_OWNED_CMK' },
    });
    // The handlers' Powertools log lines went to stderr.
    expect(run.stderr).toMatch(/"message":"step done"/);
  }, 60_000);

  it('status --output json has the same schema, with each budget', async () => {
    const run = await cli(['status', '--table', 'ledger', '--dynamodb-endpoint-url', dynalite.endpoint, '--output', 'json']);
    const result = parsed(run);
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ command: 'status', mode: 'status', exitCode: 0 });
    expect(result.streams.map((s) => `${s.name}:${s.status}:${s.outcome}`).sort()).toEqual(
      streams.map((n) => `${n}:COMPLIANT:REMEDIATED`).sort(),
    );
    // The same conclusions as Security Hub findings: resolved, with the key and the budget.
    const asff = await cli(['status', '--table', 'ledger', '--dynamodb-endpoint-url', dynalite.endpoint, '--output', 'asff']);
    const { Findings } = JSON.parse(asff.stdout) as { Findings: AsffFinding[] };
    expect(Findings).toHaveLength(3);
    for (const finding of Findings)
      expect(finding).toMatchObject({
        Compliance: { Status: 'PASSED' },
        RecordState: 'ARCHIVED',
        ProductFields: { 'firehose-sse-guard/outcome': 'REMEDIATED', 'firehose-sse-guard/keyType': 'AWS_OWNED_CMK' },
      });
  });

  it('a stream whose Describe is refused is an error row; the others are reported (exit 3), in CSV and JUnit too', async () => {
    emulator.emulator.firehose.handle('StopDeliveryStreamEncryption', { DeliveryStreamName: 'clicks' });
    const refusal =
      'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: firehose:DescribeDeliveryStream, "<here> & there"';
    const refuseOne = () =>
      emulator.emulator.faults.failNext('DescribeDeliveryStream', 1, { type: 'AccessDeniedException', message: refusal });

    refuseOne();
    const json = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--json']);
    const result = parsed(json);
    expect(json.code).toBe(3);
    expect(result.summary).toMatchObject({ total: 4, ERROR: 1 });
    const failed = result.streams.find((s) => s.status === 'ERROR');
    expect(failed?.error).toContain(refusal);
    expect(json.stderr).toContain(`firehose-sse-guard: stream 123456789012/us-east-1/${failed?.name} not evaluated: `);

    refuseOne();
    const csv = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--output', 'csv']);
    expect(csv.code).toBe(3);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'account,region,name,status,verdict,reason,outcome,outcomeReason,keyType,keyArn,callsOurs,callsTotal,updatedAt,error',
    );
    expect(lines).toHaveLength(5);
    // The error's comma and quotes are quoted as RFC 4180 says.
    const row = lines.find((l) => l.includes(',ERROR,')) ?? '';
    expect(row.endsWith(`${refusal.replace(/"/g, '""')}"`)).toBe(true);
    expect(row).toMatch(/,ERROR,,,,,,,,,,"[^"]/);

    refuseOne();
    const junit = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--output', 'junit']);
    expect(junit.code).toBe(3);
    expect(junit.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="firehose-sse-guard sweep" tests="4" /);
    expect(junit.stdout.match(/<testcase /g)).toHaveLength(4);
    expect(junit.stdout).toContain('&quot;&lt;here&gt; &amp; there&quot;');
    expect(junit.stdout).not.toContain('<here>');

    // Without the fault: clicks is the one finding: a failure in JUnit, an active FAILED finding for Security Hub.
    const asff = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--output', 'asff']);
    expect(asff.code).toBe(1);
    const { Findings } = JSON.parse(asff.stdout) as { Findings: AsffFinding[] };
    expect(Findings).toHaveLength(4);
    expect(Findings.find((f) => f.Id === 'firehose-sse-guard/123456789012/us-east-1/clicks')).toMatchObject({
      SchemaVersion: '2018-10-08',
      AwsAccountId: '123456789012',
      Compliance: { Status: 'FAILED', SecurityControlId: 'DataFirehose.1' },
      RecordState: 'ACTIVE',
      Resources: [{ Id: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/clicks' }],
    });

    const again = await cli(['sweep', '--endpoint-url', emulator.endpoint, '--output', 'junit']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(
      /name="clicks">\n\s+<failure type="NON_COMPLIANT" message="not encrypted at rest: ENCRYPTION_DISABLED"\/>/,
    );
  }, 60_000);

  it('every error is one line naming the flag or endpoint at fault, with exit 2 for usage and 3 for the rest', async () => {
    const cases: [string[], number, string][] = [
      [['sweep', '--endpoint-url', 'http://127.0.0.1:1'], 3, 'cannot reach http://127.0.0.1:1 (--endpoint-url): connection refused'],
      [['sweep', '--endpoint-url', 'notaurl'], 2, "--endpoint-url must be an http:// or https:// URL, got 'notaurl'"],
      [['sweep', '--endpoint-url', htmlUrl], 3, `${htmlUrl} (--endpoint-url) answered with HTML, not an AWS API`],
      [
        ['status', '--table', 't', '--dynamodb-endpoint-url', htmlUrl],
        3,
        `${htmlUrl} (--dynamodb-endpoint-url) answered with HTML, not an AWS API`,
      ],
      [['sweep', '--output', 'yaml'], 2, "--output must be one of table, json, csv, junit, asff, got 'yaml'"],
      [['sweep', '--json', '--output', 'csv'], 2, '--json and --output csv exclude each other'],
      [['sweep', '--concurrency', '0', '--fix', '--no-ledger'], 2, "--concurrency must be an integer from 1 to 1000, got '0'"],
      [
        ['keys', '--table', 't', '--stream', '123456789012/us-east-1/orders', '--dynamodb-endpoint-url', 'http://127.0.0.1:1'],
        3,
        'cannot reach http://127.0.0.1:1 (--dynamodb-endpoint-url): connection refused',
      ],
    ];
    for (const [args, code, line] of cases)
      expect(await cli(args), args.join(' ')).toEqual({ code, stdout: '', stderr: `firehose-sse-guard: ${line}\n` });
    // No network to AWS (here: STS's endpoint refuses) is a runtime error, not a usage one.
    expect(await cli(['sweep'], { AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1' })).toEqual({
      code: 3,
      stdout: '',
      stderr: 'firehose-sse-guard: cannot reach STS in us-east-1: connection refused\n',
    });
  }, 90_000);

  it('report --out into a folder that does not exist creates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsg-report-out-'));
    const events = join(dir, 'events.jsonl');
    const local = await cli(['local', '--streams', '12', '--out', dir]);
    expect(local.code).toBe(0);
    const out = join(dir, 'new', 'folder', 'report.html');
    const run = await cli(['report', '--events', events, '--out', out]);
    expect(run.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, 60_000);

  it('Ctrl-C during --fix names each stream mid-remediation, its state and who finishes it, and exits 130', async () => {
    emulator.emulator.firehose.handle('StopDeliveryStreamEncryption', { DeliveryStreamName: 'payments' });
    emulator.emulator.firehose.handle('StopDeliveryStreamEncryption', { DeliveryStreamName: 'orders' });
    // Long enough that the remediations are still ENABLING when Ctrl-C comes.
    emulator.emulator.timings.enablingMs = 60_000;
    const startsBefore = emulator.emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' }).length;
    const child = spawn('node', ['cli/bin.js', 'sweep', '--endpoint-url', emulator.endpoint, '--fix', '--no-ledger', '--json'], {
      cwd: root,
      env: { ...process.env, ...CREDENTIALS },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const deadline = Date.now() + 30_000;
    while (emulator.emulator.cloudTrail.events({ eventName: 'StartDeliveryStreamEncryption' }).length < startsBefore + 3) {
      if (Date.now() > deadline) throw new Error(`no Start within 30 s; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGINT');
    const [code] = await exited;
    emulator.emulator.timings.enablingMs = 300;

    expect(code).toBe(130);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    // clicks too: the test before left it unencrypted.
    expect(lines[0]).toBe('firehose-sse-guard: interrupted (Ctrl-C) with 3 streams mid-remediation:');
    for (const [i, name] of ['clicks', 'orders', 'payments'].entries())
      expect(lines[i + 1]).toMatch(
        new RegExp(`^  123456789012/us-east-1/${name}: StartDeliveryStreamEncryption called, encryption ENABLING`),
      );
    expect(lines[4]).toMatch(/^firehose-sse-guard: the deployed system's next sweep finishes them, or a rerun of this sweep/);
    expect(emulator.emulator.firehose.stream('orders').encryption.status).toBe('ENABLING');
  }, 60_000);
});
