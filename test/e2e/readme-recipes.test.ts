import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCommand } from '../../cli/local-command.ts';
import { serveEmulator, type RunningEmulator } from '../../local/emulator/index.ts';
import { S3_DESTINATION } from '../support/emulator-harness.ts';

const root = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README line that starts with `prefix`, without its trailing comment. */
function readmeLine(prefix: string): string {
  const line = readme.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`README.md has no line starting with '${prefix}'`);
  return line.replace(/\s+#.*$/, '').trim();
}

/** Runs `npm …` as a shell would (no shell: the words are plain), with its exit code and output. */
function npm(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // As a user's shell runs it: not silenced by the `-s` of an npm script this test may run under.
    const { npm_config_loglevel: _silenced, ...outer } = process.env;
    execFile('npm', args, { cwd: root, env: { ...outer, ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const words = (command: string) => command.split(/\s+/);
const credentials = { AWS_ACCESS_KEY_ID: 'AKIALOCAL', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };

describe("the README's command lines, pasted as written", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await serveEmulator({ port: 0, rateLimit: false, timings: { creatingMs: 0, enablingMs: 0, disablingMs: 0 } });
    emulator.emulator.firehose.handle('CreateDeliveryStream', { DeliveryStreamName: 'orders', ...S3_DESTINATION });
    emulator.emulator.firehose.handle('CreateDeliveryStream', {
      DeliveryStreamName: 'audit',
      ...S3_DESTINATION,
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
    });
  });
  afterAll(() => emulator.close());

  it('the CI recipe writes a compliance.json that parses, and exits 1 while a stream is unencrypted', async () => {
    const recipe = readmeLine('npm run -s cli -- sweep --all-regions --json > compliance.json');
    const [command, target] = recipe.split(/\s*>\s*/) as [string, string];
    // The one change: the emulator's endpoint instead of AWS's.
    const { code, stdout } = await npm([...words(command).slice(1), '--endpoint-url', emulator.endpoint], credentials);
    const file = join(mkdtempSync(join(tmpdir(), 'fsg-recipe-')), target);
    writeFileSync(file, stdout);
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      regions: string[];
      summary: { NON_COMPLIANT: number };
      streams: { name: string }[];
    };
    expect(code).toBe(1);
    expect(report.regions).toContain('eu-west-1');
    expect(report.summary.NON_COMPLIANT).toBeGreaterThanOrEqual(1);
    expect(report.streams.map((s) => s.name)).toContain('orders');
  });

  it('without -s, npm writes its banner first: the reason the recipe says -s', async () => {
    const { stdout } = await npm(
      ['run', 'cli', '--', 'sweep', '--region', 'us-east-1', '--json', '--endpoint-url', emulator.endpoint],
      credentials,
    );
    expect(stdout).toMatch(/^\s*> firehose-sse-guard@/);
    expect(() => JSON.parse(stdout) as unknown).toThrow();
  });

  it('`npm start -- --serve` leaves the local account reachable, and the printed status command works', async () => {
    const lines: string[] = [];
    let status: { code: number; stdout: string } | undefined;
    const code = await localCommand(
      ['--serve', '--port', '0', '--dynamodb-port', '0', '--out', mkdtempSync(join(tmpdir(), 'fsg-serve-'))],
      (l) => lines.push(l),
      async () => {
        const printed = lines.find((l) => l.trim().startsWith('npm run -s cli -- status'))!.trim();
        // The README shows the same command, on the default ports.
        const onDefaultPort = printed.replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:4567');
        expect(readmeLine('npm run -s cli -- status --table firehose-sse-guard-state')).toBe(onDefaultPort);
        status = await npm(words(printed).slice(1));
      },
    );
    expect(code).toBe(0);
    expect(lines).toContain('serving the local account on loopback until Ctrl-C; its clock stands still at 2026-11-01T12:00:00.000Z');
    const rows = status!.stdout.trim().split('\n');
    // Exit 1 when the system's last conclusion about some stream was DEFERRED or FAILED (NON_COMPLIANT).
    expect(status?.code).toBe(rows.slice(1, -1).some((r) => /\sNON_COMPLIANT\s/.test(r)) ? 1 : 0);
    expect(rows[0]).toMatch(/^region\s+stream\s+status\s+concluded\s+reason\s+updated\s+calls 24h \(ours\/all\)$/);
    // Every stream the system recorded: those it evaluated or counted calls for.
    expect(rows.at(-1)).toMatch(new RegExp(`^${rows.length - 2} streams: `));
    expect(rows.length - 2).toBeGreaterThan(20);
    // The clock given with --at counts the scenario's calls: the flapping stream's are within its 24 hours.
    expect(rows.some((r) => /\s(\d+)\/(1[0-9])$/.test(r))).toBe(true);
  });
});
