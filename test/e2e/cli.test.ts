import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args.ts';
import { main } from '../../cli/main.ts';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

describe('the firehose-sse-guard command', () => {
  it('`local` (npm start) remediates the seeded account and exits 0 when it converged as expected', async () => {
    const { code, lines } = await run(['local']);
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/compliance events published; converged as expected$/);
    expect(lines.find((l) => l.startsWith('clickstream-raw'))).toMatch(/REMEDIATED\s+1\s+\d+\s+yes$/);
    expect(lines.find((l) => l.startsWith('kinesis-mirror'))).toMatch(/NOT_APPLICABLE/);
  });

  it('prints help for every command', async () => {
    for (const argv of [['--help'], ['local', '--help'], ['emulator', '--help']]) {
      const { code, lines } = await run(argv);
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(/^Usage: firehose-sse-guard/);
    }
  });

  it('refuses unknown commands and options with one clear UsageError', async () => {
    await expect(run(['deploy'])).rejects.toThrow(new UsageError("unknown command 'deploy'; run 'firehose-sse-guard --help'"));
    await expect(run(['emulator', '--port', 'eighty'])).rejects.toThrow("--port must be an integer from 0 to 65535, got 'eighty'");
    await expect(run(['local', '--bogus'])).rejects.toBeInstanceOf(UsageError);
    expect((await run([])).code).toBe(2);
  });
});
