import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args.ts';
import { main } from '../../cli/main.ts';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

describe('the firehose-sse-guard command', () => {
  it('`local` (npm start) runs the scenario, writes report.html and events.jsonl, and exits 0 when converged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsg-local-'));
    const { code, lines } = await run(['local', '--streams', '16', '--seed', '3', '--out', dir]);
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('converged: every stream ended as expected');
    expect(lines.filter((l) => / (yes|NO, expected \w+)$/.test(l))).toHaveLength(16);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toContain(`wrote ${join(dir, 'report.html')} and ${join(dir, 'events.jsonl')}`);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(`id="event-total">${events.length}<`);
  });

  it('`report` rebuilds the dashboard from events.jsonl, and refuses a file that is not events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsg-report-'));
    await run(['local', '--streams', '12', '--out', dir]);
    const lines_ = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { detail: { stream?: { name: string } } });
    const events = lines_.length;
    const named = new Set(lines_.map((e) => e.detail.stream?.name).filter(Boolean)).size;
    const { code, lines } = await run(['report', '--events', join(dir, 'events.jsonl'), '--out', join(dir, 'again.html')]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^wrote .*again.html: ${events} events, ${named} streams$`));
    expect(readFileSync(join(dir, 'again.html'), 'utf8')).toContain(`id="event-total">${events}<`);
    writeFileSync(join(dir, 'bad.jsonl'), '{"source":"someone-else"}\n');
    await expect(run(['report', '--events', join(dir, 'bad.jsonl')])).rejects.toThrow('line 1 is not a firehose-sse-guard event');
    await expect(run(['report', '--events', join(dir, 'missing.jsonl')])).rejects.toThrow(/^cannot read /);
  });

  it('prints help for every command', async () => {
    for (const argv of [
      ['--help'],
      ['local', '--help'],
      ['emulator', '--help'],
      ['sweep', '--help'],
      ['status', '--help'],
      ['report', '--help'],
    ]) {
      const { code, lines } = await run(argv);
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(/^Usage: firehose-sse-guard/);
    }
  });

  it('refuses unknown commands and options with one clear UsageError', async () => {
    await expect(run(['deploy'])).rejects.toThrow(new UsageError("unknown command 'deploy'; run 'firehose-sse-guard --help'"));
    await expect(run(['emulator', '--port', 'eighty'])).rejects.toThrow("--port must be an integer from 0 to 65535, got 'eighty'");
    await expect(run(['local', '--bogus'])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['local', '--streams', '5'])).rejects.toThrow('--streams must be an integer from 12 to 2000');
    expect((await run([])).code).toBe(2);
  });
});
