/** What the sweep tells its progress display. */
export interface SweepProgress {
  /** A page of the region's names was listed: `count` more streams to evaluate; `more` when other pages follow. */
  listed(account: string, region: string, count: number, more: boolean): void;
  evaluated(account: string, region: string): void;
  /** Remediations under way (--fix). */
  running(count: number): void;
  /** Clears the live line before the output. */
  done(): void;
}

const REDRAW_MS = 100;

/** mm:ss, or h:mm:ss. */
export function clockTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/** One progress line: the region's bar, evaluated of total, the rate and the time left. */
export function progressLine(
  place: string,
  evaluated: number,
  total: number,
  more: boolean,
  elapsedMs: number,
  running: number,
  width = 20,
): string {
  const filled = total > 0 ? Math.min(width, Math.floor((evaluated / total) * width)) : 0;
  const rate = elapsedMs > 0 ? (evaluated * 1000) / elapsedMs : 0;
  const eta = rate > 0 && !more ? ` ETA ${clockTime((total - evaluated) / rate)}` : '';
  return (
    `${place} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${evaluated}/${total}${more ? '+' : ''} streams, ` +
    `${rate.toFixed(1)}/s${eta}${running > 0 ? `, ${running} remediations running` : ''}`
  );
}

/**
 * The live progress of a sweep on a terminal (stderr): one line for the region being swept, and a line
 * that stays for each region done. Nothing when stderr is not a terminal.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): SweepProgress | undefined {
  if (!stream.isTTY) return undefined;
  let current: { place: string; total: number; evaluated: number; more: boolean; since: number } | undefined;
  let running = 0;
  let drawnAt = 0;
  const draw = (force = false) => {
    if (!current || (!force && now() - drawnAt < REDRAW_MS)) return;
    drawnAt = now();
    stream.write(
      `\r\x1b[2K  ${progressLine(current.place, current.evaluated, current.total, current.more, now() - current.since, running)}`,
    );
  };
  const finish = () => {
    if (!current) return;
    stream.write(`\r\x1b[2K  ${current.place}: ${current.evaluated} streams in ${clockTime((now() - current.since) / 1000)}\n`);
    current = undefined;
  };
  const at = (account: string, region: string) => {
    const place = `${account} ${region}`;
    if (current?.place !== place) {
      finish();
      current = { place, total: 0, evaluated: 0, more: false, since: now() };
    }
    return current;
  };
  return {
    listed: (account, region, count, more) => {
      const c = at(account, region);
      c.total += count;
      c.more = more;
      draw(true);
    },
    evaluated: (account, region) => {
      at(account, region).evaluated += 1;
      draw();
    },
    running: (count) => {
      running = count;
      draw();
    },
    done: () => {
      finish();
      stream.write('\r\x1b[2K');
    },
  };
}
