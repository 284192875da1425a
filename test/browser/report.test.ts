import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('report.html in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fsg-report-'));
    const code = await main(['local', '--out', dir], () => {});
    expect(code).toBe(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders without console errors and shows the numbers in events.jsonl', async () => {
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { 'detail-type': string; detail: Record<string, unknown> });
    const expected = new Map<string, number>();
    for (const e of events) expected.set(e['detail-type'], (expected.get(e['detail-type']) ?? 0) + 1);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(`file://${join(dir, 'report.html')}`);

    expect(problems).toEqual([]);
    expect(await page.textContent('#event-total')).toBe(String(events.length));
    for (const [type, count] of expected) {
      expect(await page.textContent(`tr[data-detail-type="${type}"] [data-count]`), type).toBe(String(count));
    }
    expect(await page.getAttribute('[data-converged]', 'data-converged')).toBe('true');
    const cards: (string | undefined)[] = await page.$$eval('#by-status .card', (nodes: { textContent: string | null }[]) =>
      nodes.map((n) => n.textContent?.replace(/\s+/g, ' ').trim()),
    );
    expect(cards.join(' ')).toMatch(/\d+ COMPLIANT/);
    expect(await page.locator('svg.timeline circle').count()).toBe(events.length);
    // Issue 13: time to protected, p50 and p95, from the remediations' own events; the median within
    // the modelled ENABLING (20 s) + the 5-second settle + 10 s.
    const times = events
      .map((e) => (e.detail as { timeToCompliantSeconds?: number }).timeToCompliantSeconds)
      .filter((t): t is number => typeof t === 'number')
      .sort((a, b) => a - b);
    const p50 = Number(await page.getAttribute('#time-to-protected [data-p50]', 'data-p50'));
    expect(p50).toBe(times[Math.ceil(times.length / 2) - 1]);
    expect(p50).toBeLessThanOrEqual(20 + 5 + 10);
    expect(Number(await page.getAttribute('#time-to-protected [data-p95]', 'data-p95'))).toBeGreaterThanOrEqual(p50);
    await page.close();
  });
});
