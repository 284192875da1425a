import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { renderReport } from '../../local/report-html.ts';
import { syntheticReport } from './synthetic-report.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 900 };
const INJECTED = '</script><script>window.pwned=1</script><!--';

interface JsonEvent {
  'detail-type': string;
  detail: Record<string, unknown> & { totals?: Record<string, number> };
}

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

  /** Opens a page, collecting console errors and warnings, page errors and any request that leaves the file. */
  async function open(file: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('request', (request) => {
      if (request.url() !== `file://${file}`) problems.push(`request: ${request.url()}`);
    });
    await page.goto(`file://${file}`);
    return { page, problems };
  }
  const column = (page: Page, index: number): Promise<string[]> =>
    page.$$eval(`#streams tbody tr td:nth-child(${index})`, (cells: { textContent: string | null }[]) =>
      cells.map((c) => c.textContent ?? ''),
    );
  const headerIndex = async (page: Page, key: string): Promise<number> =>
    (
      await page.$$eval('#streams thead th', (ths: { getAttribute(name: string): string | null }[]) =>
        ths.map((t) => t.getAttribute('data-sort')),
      )
    ).indexOf(key) + 1;

  it('shows the header, tiles and counts that events.jsonl and its Compliance Snapshot say, without console errors', async () => {
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as JsonEvent);
    const expected = new Map<string, number>();
    for (const e of events) expected.set(e['detail-type'], (expected.get(e['detail-type']) ?? 0) + 1);
    const totals = events.filter((e) => e['detail-type'] === 'Compliance Snapshot').at(-1)?.detail.totals as Record<string, number>;

    const { page, problems } = await open(join(dir, 'report.html'));

    expect(problems).toEqual([]);
    expect(await page.textContent('#accounts')).toBe('123456789012');
    expect(await page.textContent('#regions')).toBe('us-east-1');
    expect(await page.textContent('#time-window')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d – \d\d:\d\d UTC$/);
    expect(await page.textContent('#generated-at')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    const tile = async (status: string) => Number(await page.textContent(`#by-status [data-status="${status}"] [data-count]`));
    expect(await tile('COMPLIANT')).toBe(totals.COMPLIANT);
    expect(await tile('NON_COMPLIANT')).toBe(totals.REMEDIATE);
    expect(await tile('EXEMPT')).toBe(totals.EXEMPT);
    expect(await tile('NOT_APPLICABLE')).toBe(totals.NOT_APPLICABLE);
    const score = ((totals.COMPLIANT as number) / ((totals.COMPLIANT as number) + (totals.REMEDIATE as number))) * 100;
    expect(await page.getAttribute('#score', 'data-score')).toBe(score.toFixed(1));
    expect(await page.textContent('#count-source')).toContain('Compliance Snapshot');
    expect(await page.textContent('#event-total')).toBe(String(events.length));
    for (const [type, count] of expected) {
      expect(await page.textContent(`tr[data-detail-type="${type}"] [data-count]`), type).toBe(String(count));
    }
    expect(await page.getAttribute('[data-converged]', 'data-converged')).toBe('true');
    // A readable axis: clock times, not ISO milliseconds.
    const ticks = await page.$$eval('svg.timeline text.axis', (nodes: { textContent: string | null }[]) =>
      nodes.map((n) => n.textContent ?? ''),
    );
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const tick of ticks) expect(tick).toMatch(/^(\d\d-\d\d )?\d\d:\d\d$/);
    expect(await page.locator('svg.timeline circle').count()).toBe(events.length);
    // The default scenario fills every section: a failure with its reason, a deferral with its next attempt.
    const problemsText = await page.textContent('#problems tbody');
    expect(problemsText).toContain('CONFIGURATION (SUBNET_NOT_FOUND)');
    expect(problemsText).toContain('BUDGET_SPENT');
    expect(await page.textContent('#started-explained')).toMatch(/^\d+ Remediation Started for \d+ succeeded/);
    // Issue 13: time to protected, p50 and p95, from the remediations' own events. The median within the
    // modelled ENABLING (20 s) + the 5-second settle + 10 s, and the DISABLING (10 s) that precedes the
    // Start after each of the 18 Stops (most of the 37 remediations since the budget stream was added).
    const times = events
      .map((e) => (e.detail as { timeToCompliantSeconds?: number }).timeToCompliantSeconds)
      .filter((t): t is number => typeof t === 'number')
      .sort((a, b) => a - b);
    const p50 = Number(await page.getAttribute('#time-to-protected [data-p50]', 'data-p50'));
    expect(p50).toBe(times[Math.ceil(times.length / 2) - 1]);
    expect(p50).toBeLessThanOrEqual(20 + 5 + 10 + 10);
    expect(Number(await page.getAttribute('#time-to-protected [data-p95]', 'data-p95'))).toBeGreaterThanOrEqual(p50);
    await page.close();
  });

  it('sorts by a clicked header, filters by status, searches by name', async () => {
    const { page, problems } = await open(join(dir, 'report.html'));
    const name = await headerIndex(page, 'n');
    expect(await page.locator('#streams tbody tr').count()).toBe(40);

    await page.click('#streams th[data-sort="n"]');
    const ascending = await column(page, name);
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await page.click('#streams th[data-sort="n"]');
    expect(await column(page, name)).toEqual([...ascending].reverse());
    expect(await page.getAttribute('#streams th[data-sort="n"]', 'aria-sort')).toBe('descending');

    await page.selectOption('#status-filter', 'NON_COMPLIANT');
    const statuses = await column(page, await headerIndex(page, 's'));
    expect(statuses).toEqual(['NON_COMPLIANT', 'NON_COMPLIANT']);
    expect(await page.textContent('#streams tbody')).toContain('FAILED (CONFIGURATION)');
    await page.selectOption('#status-filter', '');

    const target = ascending[7] as string;
    await page.fill('#search', target);
    expect(await column(page, name)).toEqual([target]);
    await page.fill('#search', 'no-such-stream');
    expect(await page.textContent('#streams tbody')).toBe('No row matches.');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('stays a page of a few screens at 5,000 streams, pages through them, and never runs a stream name', async () => {
    const { events, streams } = syntheticReport(5_000, INJECTED);
    const file = join(dir, 'large.html');
    writeFileSync(file, renderReport({ title: 'an account of 5,000 streams', events, streams }));
    const { page, problems } = await open(file);

    expect(problems).toEqual([]);
    const height = Number(await page.evaluate('document.body.scrollHeight'));
    expect(height).toBeLessThan(4 * VIEWPORT.height);
    expect(await page.locator('#streams tbody tr').count()).toBe(50);
    expect(await page.textContent('#streams-page')).toBe('1–50 of 5000, page 1 of 100');
    expect(await page.textContent('#by-status [data-status="NON_COMPLIANT"] [data-count]')).toBe('1000');
    expect(await page.textContent('#fallback-tile [data-count]')).toBe('750');

    const name = await headerIndex(page, 'n');
    const first = await column(page, name);
    await page.click('#streams-next');
    expect(await page.textContent('#streams-page')).toBe('51–100 of 5000, page 2 of 100');
    const second = await column(page, name);
    expect(second).toHaveLength(50);
    expect(second.some((n) => first.includes(n))).toBe(false);

    await page.selectOption('#status-filter', 'NON_COMPLIANT');
    expect(await page.textContent('#streams-page')).toBe('1–50 of 1000 (of 5000), page 1 of 20');
    await page.selectOption('#status-filter', '');
    await page.selectOption('#fallback-filter', 'true');
    expect(await page.textContent('#streams-page')).toMatch(/ of 750 \(of 5000\)/);
    await page.selectOption('#fallback-filter', '');
    await page.fill('#search', 'stream-04321');
    expect(await column(page, name)).toEqual(['stream-04321']);
    // The stream named like a closing script tag is shown as text, and its script never ran.
    await page.fill('#search', '</script>');
    expect(await column(page, name)).toEqual([INJECTED]);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
