/**
 * @module http/admin/components/day-chart — figures per day as an inline SVG bar chart, one bar per
 * series (a <title> per bar, the days labelled every fifth), its legend in words with totals, and
 * the same figures as a table for screen readers and copying. Used by the dashboard (messages per
 * day) and the reminder rule page (sent, failed, cancelled per day). No style attributes (CSP):
 * sizes are SVG attributes, colours are the classes `bar-<key>` in admin.css.
 */
import { Temporal } from 'temporal-polyfill';

export interface DaySeries<K extends string> {
  key: K;
  /** In words, lower case: 'sent'. */
  label: string;
}

export type DayRow<K extends string> = { day: string } & Record<K, number>;

function safeCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "Fri 4 Dec" */
export function dayLabel(day: string): string {
  return Temporal.PlainDate.from(day).toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
}

/** A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ). */
export function niceMax(max: number): number {
  if (max <= 0) {
    return 1;
  }
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) {
    if (m * p >= max) {
      return m * p;
    }
  }
  return 10 * p;
}

/** Each series' sum over the days. */
export function seriesTotals<K extends string>(days: ReadonlyArray<DayRow<K>>, series: ReadonlyArray<DaySeries<K>>): Record<K, number> {
  const totals = {} as Record<K, number>;
  for (const s of series) {
    let sum = 0;
    for (const d of days) {
      sum += d[s.key];
    }
    totals[s.key] = sum;
  }
  return totals;
}

export function ChartLegend<K extends string>(props: { series: ReadonlyArray<DaySeries<K>>; totals: Record<K, number> }): JSX.Element {
  return (
    <ul class="legend" aria-label="Legend">
      {props.series.map((s) => (
        <li>
          <span class={`swatch bar-${s.key}`} aria-hidden="true"></span>
          <span safe>{`${s.label} (${safeCount(props.totals[s.key])})`}</span>
        </li>
      ))}
    </ul>
  );
}

const WIDTH = 720;
const PAD = { top: 12, bottom: 22, left: 34, right: 16 };

/** The bars; `label` describes the whole chart in words (its aria-label and <title>). */
export function DayBarChart<K extends string>(props: { days: ReadonlyArray<DayRow<K>>; series: ReadonlyArray<DaySeries<K>>; label: string; height: number; id?: string }): JSX.Element {
  const { days, series, height } = props;
  const max = niceMax(Math.max(0, ...days.flatMap((d) => series.map((s) => d[s.key]))));
  const plotH = height - PAD.top - PAD.bottom;
  const slot = (WIDTH - PAD.left - PAD.right) / Math.max(1, days.length);
  const bar = Math.max(2, Math.floor((slot - 4) / series.length));
  return (
    <svg class="chart" {...(props.id === undefined ? {} : { id: props.id })} viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label={props.label}>
      <title safe>{props.label}</title>
      <line class="axis" x1={PAD.left} y1={PAD.top} x2={WIDTH - PAD.right} y2={PAD.top} />
      <line class="axis" x1={PAD.left} y1={PAD.top + plotH / 2} x2={WIDTH - PAD.right} y2={PAD.top + plotH / 2} />
      <line class="axis base" x1={PAD.left} y1={PAD.top + plotH} x2={WIDTH - PAD.right} y2={PAD.top + plotH} />
      <text class="tick" x={PAD.left - 4} y={PAD.top + 4} text-anchor="end">
        {safeCount(max)}
      </text>
      {max >= 2 ? (
        <text class="tick" x={PAD.left - 4} y={PAD.top + plotH / 2 + 4} text-anchor="end">
          {safeCount(max / 2)}
        </text>
      ) : (
        ''
      )}
      <text class="tick" x={PAD.left - 4} y={PAD.top + plotH + 4} text-anchor="end">
        0
      </text>
      {days.map((d, i) => {
        const x0 = PAD.left + i * slot + (slot - series.length * bar) / 2;
        return (
          <g class="day" data-day={d.day}>
            {series.map((s, j) => {
              const v = d[s.key];
              if (v <= 0) {
                return '';
              }
              const h = Math.max(1, Math.round((v / max) * plotH));
              return (
                <rect class={`bar bar-${s.key}`} x={String(Math.round(x0 + j * bar))} y={String(PAD.top + plotH - h)} width={String(bar)} height={String(h)}>
                  <title safe>{`${dayLabel(d.day)}: ${safeCount(v)} ${s.label}`}</title>
                </rect>
              );
            })}
            {i % 5 === (days.length - 1) % 5 ? (
              <text class="tick" x={String(Math.round(PAD.left + i * slot + slot / 2))} y={height - 6} text-anchor="middle" safe>
                {Temporal.PlainDate.from(d.day).toLocaleString('en-GB', { day: 'numeric', month: 'short' })}
              </text>
            ) : (
              ''
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** The chart's figures as a table, newest day first, folded under "The same figures as a table". */
export function DayTable<K extends string>(props: { days: ReadonlyArray<DayRow<K>>; series: ReadonlyArray<DaySeries<K>> }): JSX.Element {
  return (
    <details class="chart-table">
      <summary>The same figures as a table</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {props.series.map((s) => (
              <th scope="col" safe>
                {s.label.charAt(0).toUpperCase() + s.label.slice(1)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...props.days].reverse().map((d) => (
            <tr>
              <th scope="row" safe>
                {dayLabel(d.day)}
              </th>
              {props.series.map((s) => (
                <td>{safeCount(d[s.key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
