import { EVENT_TYPES, type EventKind, type GuardEvent } from '../functions/domain/events.ts';
import { escapeHtml } from './report-escape.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tick steps that read well on a clock, from a minute to a week. */
const STEPS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];
/** Above this many events the dots of one type are binned (one dot per bin, sized by its count), so the page stays light. */
const DOTS_LIMIT = 3_000;

/** `HH:MM` (UTC). */
export const clock = (t: number): string => new Date(t).toISOString().slice(11, 16);
/** `YYYY-MM-DD HH:MM` (UTC). */
export const dateTime = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

/** The time window as a reader says it: one date when it fits in a day, both when it spans days. */
export function timeWindow(t0: number, t1: number): string {
  const sameDay = new Date(t0).toISOString().slice(0, 10) === new Date(t1).toISOString().slice(0, 10);
  return `${dateTime(t0)} – ${sameDay ? clock(t1) : dateTime(t1)} UTC`;
}

/** Axis ticks at round clock times: `HH:MM`, with the date where the day changes (and at the first tick). */
export function axisTicks(t0: number, t1: number, most = 8): { at: number; label: string }[] {
  const step = STEPS.find((s) => (t1 - t0) / s <= most) ?? 7 * DAY;
  const ticks: { at: number; label: string }[] = [];
  const spansDays = new Date(t0).toISOString().slice(0, 10) !== new Date(t1).toISOString().slice(0, 10);
  let day = '';
  for (let at = Math.ceil(t0 / step) * step; at <= t1; at += step) {
    const date = new Date(at).toISOString().slice(5, 10);
    ticks.push({ at, label: spansDays && date !== day ? `${date} ${clock(at)}` : clock(at) });
    day = date;
  }
  return ticks;
}

/** The events over time: a row per detail-type, a dot per event (binned when there are very many), a clock axis. */
export function timelineSvg(events: readonly GuardEvent[]): string {
  if (events.length === 0) return '<p>No events.</p>';
  const kinds = Object.keys(EVENT_TYPES) as EventKind[];
  const t0 = events.reduce((min, e) => Math.min(min, e.time), Infinity);
  const t1 = events.reduce((max, e) => Math.max(max, e.time), t0 + MINUTE);
  const width = 900;
  const rowHeight = 20;
  const left = 220;
  const right = width - 30;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (right - left);
  const binned = events.length > DOTS_LIMIT;
  const rows = kinds.map((kind, i) => {
    const y = 14 + i * rowHeight;
    const mine = events.filter((e) => e.detail.kind === kind);
    let dots: string;
    if (!binned) {
      dots = mine
        .map(
          (e) =>
            `<circle cx="${x(e.time).toFixed(1)}" cy="${y}" r="4"><title>${escapeHtml(dateTime(e.time))} ${escapeHtml((e.detail as { stream?: { name: string } }).stream?.name ?? '')}</title></circle>`,
        )
        .join('');
    } else {
      const bins = new Map<number, number>();
      for (const e of mine) bins.set(Math.round(x(e.time) / 4) * 4, (bins.get(Math.round(x(e.time) / 4) * 4) ?? 0) + 1);
      dots = [...bins.entries()]
        .map(
          ([cx, n]) =>
            `<circle class="bin" cx="${cx}" cy="${y}" r="${Math.min(8, 3 + Math.log10(n) * 2).toFixed(1)}" data-count="${n}"><title>${n} events</title></circle>`,
        )
        .join('');
    }
    return `<text x="0" y="${y + 4}">${escapeHtml(EVENT_TYPES[kind].detailType)} (${mine.length})</text><line x1="${left}" x2="${right}" y1="${y}" y2="${y}"/>${dots}`;
  });
  const axisY = 14 + kinds.length * rowHeight;
  const ticks = axisTicks(t0, t1)
    .map(
      (t) =>
        `<line class="tick" x1="${x(t.at).toFixed(1)}" x2="${x(t.at).toFixed(1)}" y1="4" y2="${axisY}"/><text class="axis" x="${x(t.at).toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
    )
    .join('');
  const note = binned ? `<p class="note">${events.length} events: dots are grouped (hover for the count).</p>` : '';
  return `<svg class="timeline" viewBox="0 0 ${width} ${axisY + 22}" role="img" aria-label="events over time, UTC">${ticks}${rows.join('')}</svg>${note}`;
}
