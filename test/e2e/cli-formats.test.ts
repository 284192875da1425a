import { describe, expect, it } from 'vitest';
import { csvField, renderCsv, renderJunit, renderTable, xmlEscape } from '../../cli/formats.ts';
import { clockTime, progressLine, terminalProgress } from '../../cli/progress.ts';
import { cliResult, EXIT, exitCodeOf, summarize, sweepStatus, type ResultStream } from '../../cli/result.ts';

const row = (name: string, status: ResultStream['status'], extra: Partial<ResultStream> = {}): ResultStream => ({
  account: '123456789012',
  region: 'us-east-1',
  name,
  status,
  ...extra,
});

describe('the CLI result and its formats', () => {
  it('says where a stream stands: the outcome of a fix wins over the verdict, and an error over both', () => {
    expect(sweepStatus('REMEDIATE', undefined, undefined)).toBe('NON_COMPLIANT');
    expect(sweepStatus('REMEDIATE', 'REMEDIATED', undefined)).toBe('COMPLIANT');
    expect(sweepStatus('REMEDIATE', 'DEFERRED', undefined)).toBe('NON_COMPLIANT');
    expect(sweepStatus('REMEDIATE', 'FAILED', undefined)).toBe('NON_COMPLIANT');
    expect(sweepStatus('BUSY', undefined, undefined)).toBe('PENDING');
    expect(sweepStatus('BUSY', 'COMPLIANT', undefined)).toBe('COMPLIANT');
    expect(sweepStatus('GONE', undefined, 'AccessDenied')).toBe('ERROR');
  });

  it('exits 0 when all are compliant, 1 on findings, and 3 when anything could not be evaluated, findings or not', () => {
    const failed = [{ account: '123456789012', region: 'eu-west-1', error: 'x' }];
    expect(exitCodeOf(summarize([row('a', 'COMPLIANT'), row('b', 'EXEMPT')], []))).toBe(EXIT.ok);
    expect(exitCodeOf(summarize([row('a', 'NON_COMPLIANT')], []))).toBe(EXIT.findings);
    expect(exitCodeOf(summarize([row('a', 'NON_COMPLIANT'), row('b', 'ERROR')], []))).toBe(EXIT.runtime);
    expect(exitCodeOf(summarize([row('a', 'COMPLIANT')], failed))).toBe(EXIT.runtime);
  });

  it('quotes CSV fields as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    const csv = renderCsv(
      cliResult({
        command: 'sweep',
        mode: 'dry-run',
        accounts: ['123456789012'],
        regions: ['us-east-1'],
        streams: [row('a', 'ERROR', { error: 'x, "y"' })],
      }),
    );
    expect(csv.split('\r\n')[1]).toBe('123456789012,us-east-1,a,ERROR,,,,,,,,,,"x, ""y"""');
  });

  it('writes JUnit XML with every text escaped, a failure per finding, an error per hole, and skips for the rest', () => {
    expect(xmlEscape(`<a href="x">'&'</a>\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    const xml = renderJunit(
      cliResult({
        command: 'sweep',
        mode: 'dry-run',
        accounts: ['123456789012'],
        regions: ['us-east-1'],
        at: Date.UTC(2026, 10, 1),
        streams: [
          row('ok', 'COMPLIANT'),
          row('bad', 'NON_COMPLIANT', { reason: 'ENCRYPTION_DISABLED' }),
          row('hole', 'ERROR', { error: 'denied <&>' }),
          row('kinesis', 'NOT_APPLICABLE', { reason: 'KinesisStreamAsSource' }),
        ],
        failed: [{ account: '210987654321', error: 'cannot assume "role"' }],
      }),
    );
    expect(xml).toContain('<testsuites name="firehose-sse-guard sweep" tests="5" failures="1" errors="2">');
    expect(xml).toContain('tests="4" failures="1" errors="1" skipped="1" timestamp="2026-11-01T00:00:00.000Z"');
    expect(xml).toContain('<testcase classname="firehose-sse-guard.123456789012.us-east-1" name="ok"></testcase>');
    expect(xml).toContain('<failure type="NON_COMPLIANT" message="not encrypted at rest: ENCRYPTION_DISABLED"/>');
    expect(xml).toContain('<error type="ERROR" message="denied &lt;&amp;&gt;"/>');
    expect(xml).toContain('<skipped message="NOT_APPLICABLE: KinesisStreamAsSource"/>');
    expect(xml).toContain('<error type="NOT_SWEPT" message="cannot assume &quot;role&quot;"/>');
  });

  it('the table shows the resulting status and, apart, the action or outcome', () => {
    const streams = [row('orders', 'COMPLIANT', { verdict: 'REMEDIATE', reason: 'ENCRYPTION_DISABLED', outcome: 'REMEDIATED' })];
    const fixed = renderTable(cliResult({ command: 'sweep', mode: 'fix', accounts: ['123456789012'], regions: ['us-east-1'], streams }));
    expect(fixed.split('\n')).toEqual([
      'region         stream status         reason                 outcome',
      'us-east-1      orders COMPLIANT      ENCRYPTION_DISABLED    REMEDIATED',
      '1 streams: 1 COMPLIANT, 0 NON_COMPLIANT',
    ]);
  });
});

describe('the progress display', () => {
  it('shows the total, the rate and the time left', () => {
    expect(progressLine('123456789012 us-east-1', 50, 200, false, 10_000, 0, 10)).toBe(
      '123456789012 us-east-1 [##        ] 50/200 streams, 5.0/s ETA 0:30',
    );
    // More pages to list: the total is a floor, and there is no ETA yet.
    expect(progressLine('p', 10, 1000, true, 2_000, 3, 10)).toBe('p [          ] 10/1000+ streams, 5.0/s, 3 remediations running');
    expect(clockTime(3725)).toBe('1:02:05');
  });

  it('draws on a terminal only, one live line per region and a line that stays when the region is done', () => {
    const written: string[] = [];
    const fake = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    let now = 0;
    const progress = terminalProgress(fake, () => now)!;
    progress.listed('123456789012', 'us-east-1', 4, false);
    now = 1_000;
    for (let i = 0; i < 4; i += 1) progress.evaluated('123456789012', 'us-east-1');
    progress.listed('123456789012', 'eu-west-1', 2, false);
    progress.done();
    expect(written.join('')).toContain('123456789012 us-east-1: 4 streams in 0:01\n');
    expect(written[0]).toContain('0/4 streams');
    expect(terminalProgress({ isTTY: false } as unknown as NodeJS.WriteStream)).toBeUndefined();
  });
});
