/**
 * Users synced / not synced / errored per minute (spec §8 "analytics": a per-minute chart), drawn by
 * uPlot on a canvas. The canvas says nothing to a screen reader, so the figure is an image whose name
 * gives the totals, and the legend under it (ours, not uPlot's table) gives the same numbers as text —
 * or, while the pointer is over the chart, that minute's.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from './analytics-series.ts';
import { count } from './analytics-words.ts';

const LINES = [
  { key: 'synced', label: 'Synced', color: '#136c2e', dash: undefined },
  { key: 'notSynced', label: 'Not synced', color: '#6b4f00', dash: [6, 4] },
  { key: 'errored', label: 'Errored', color: '#b42318', dash: [2, 3] },
] as const;

const MUTED = '#4a5361';
const GRID = '#e3e7ed';
// Whole users only on the count axis: 0.5 of a user per minute means nothing.
const COUNT_STEPS = [1, 2, 5].flatMap((n) => [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000].map((p) => n * p)).sort((a, b) => a - b);

const heightFor = (width: number): number => (width < 500 ? 220 : 260);
const minuteText = (seconds: number): string => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function options(width: number, onHover: (idx: number | null) => void): uPlot.Options {
  const axis = { stroke: MUTED, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: '12px system-ui, sans-serif', labelFont: '600 12px system-ui, sans-serif' };
  return {
    width,
    height: heightFor(width),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { ...axis, label: 'Minute (your local time)', labelSize: 24 },
      { ...axis, label: 'Users per minute', labelSize: 24, incrs: COUNT_STEPS, values: (_u, splits) => splits.map((v) => count(v)), size: 56 },
    ],
    series: [{}, ...LINES.map((l) => ({ label: l.label, stroke: l.color, width: 2, dash: l.dash ? [...l.dash] : undefined, points: { size: 5 } }))],
    hooks: { setCursor: [(u: uPlot) => onHover(u.cursor.idx ?? null)] },
  };
}

export function AnalyticsChart({ data }: { data: ChartData }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const aligned = useMemo((): uPlot.AlignedData => [data.xs, data.synced, data.notSynced, data.errored], [data]);
  const first = useRef(aligned);

  // Created once; each refresh hands uPlot new data (below) instead of rebuilding the canvas.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(options(el.clientWidth, setHover), first.current, el);
    plot.current = u;
    // Follows its container (a phone, a resized window, a sidebar opening) instead of a fixed width.
    const observer = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height: heightFor(el.clientWidth) });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => plot.current?.setData(aligned), [aligned]);

  const at = hover !== null && hover < data.xs.length ? hover : null;
  const minutes = data.xs.length;
  const summary = `Users per minute at the Audience Sync steps over the last ${count(minutes)} minutes: ${count(data.totals.synced)} synced, ${count(data.totals.notSynced)} not synced, ${count(data.totals.errored)} errored.`;
  const values = (key: (typeof LINES)[number]['key']): number => (at === null ? data.totals[key] : data[key][at]!);

  return (
    <figure className="analytics-chart">
      <div ref={box} className="chart-box" role="img" aria-label={summary} />
      <figcaption>
        <p className="chart-legend-title">{at === null ? `Totals over the ${count(minutes)} minutes shown${data.truncated ? ' (the last 24 hours)' : ''}` : `At ${minuteText(data.xs[at]!)}`}</p>
        <ul className="chart-legend">
          {LINES.map((l) => (
            <li key={l.key}>
              <svg className="swatch" width="28" height="10" aria-hidden="true" focusable="false">
                <line x1="1" y1="5" x2="27" y2="5" stroke={l.color} strokeWidth="3" strokeDasharray={l.dash ? l.dash.join(' ') : undefined} />
              </svg>
              {l.label}: <strong>{count(values(l.key))}</strong>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
