import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesBody } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatClock, formatCores, formatNs, formatStep } from '../format.js';

/**
 * CPU over time with uPlot (canvas, ~50 kB): one line per endpoint or version, in average CPU
 * cores per bucket (CPU ns / bucket ns), so buckets of any step read alike. The legend below is
 * HTML: each series' total CPU, and a button to hide or show it (canvas is not keyboard-usable).
 */
export const seriesColors = [
  '#d9480f',
  '#1c7ed6',
  '#2b8a3e',
  '#ae3ec9',
  '#f08c00',
  '#0c8599',
  '#c2255c',
  '#5c940d',
  '#495057',
  '#364fc7',
];

export function seriesLabel(series: SeriesBody['series'][number], groupBy: SeriesBody['group_by']): string {
  if (series.other) return '(other series, summed)';
  if (series.key === null || series.key === '') return groupBy === 'endpoint' ? '(no endpoint label)' : '(no version)';
  return series.key;
}

export interface TimeseriesChart {
  element: HTMLElement;
  render(body: SeriesBody): void;
  dispose(): void;
}

export function createTimeseriesChart(): TimeseriesChart {
  const canvasHost = h('div', { class: 'ts-canvas', 'aria-hidden': 'true' });
  const legend = h('ul', { class: 'ts-legend', 'data-testid': 'ts-legend' });
  const caption = h('p', { class: 'muted ts-caption' });
  const element = h('div', { class: 'ts-chart' }, caption, canvasHost, legend);
  let plot: uPlot | undefined;
  let lastWidth = 0;

  const width = () => Math.max(260, Math.floor(canvasHost.clientWidth || 600));
  const resizeObserver = new ResizeObserver(() => {
    const w = width();
    if (plot && Math.abs(w - lastWidth) >= 4) {
      lastWidth = w;
      plot.setSize({ width: w, height: plot.height });
    }
  });
  resizeObserver.observe(canvasHost);

  function render(body: SeriesBody) {
    plot?.destroy();
    plot = undefined;
    const stepNs = body.step * 1e9;
    const index = new Map(body.timestamps.map((t, i) => [t, i]));
    const columns = body.series.map((s) => {
      const values = body.timestamps.map(() => 0);
      for (const point of s.points) {
        const i = index.get(point.t);
        if (i !== undefined) values[i] = (values[i] ?? 0) + point.value / stepNs;
      }
      return values;
    });
    caption.textContent = `Average CPU cores per ${formatStep(body.step)} bucket, by ${body.group_by}.`;
    lastWidth = width();
    plot = new uPlot(
      {
        width: lastWidth,
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: '#495057', grid: { stroke: '#e9ecef' }, ticks: { stroke: '#dee2e6' } },
          {
            stroke: '#495057',
            grid: { stroke: '#e9ecef' },
            ticks: { stroke: '#dee2e6' },
            size: 48,
            values: (_u, ticks) => ticks.map(formatCores),
          },
        ],
        series: [
          { value: (_u, v) => (v === null ? '' : formatClock(v * 1000)) },
          ...body.series.map((s, i) => {
            const color = seriesColors[i % seriesColors.length] ?? '#495057';
            return {
              label: seriesLabel(s, body.group_by),
              stroke: color,
              fill: `${color}1f`,
              width: 1.5,
              points: { show: body.timestamps.length <= 40 },
              value: (_u: uPlot, v: number | null) => (v === null ? '' : `${formatCores(v)} cores`),
            };
          }),
        ],
      },
      [body.timestamps, ...columns],
      canvasHost,
    );
    const items = body.series.map((s, i) => {
      const color = seriesColors[i % seriesColors.length] ?? '#495057';
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = color;
      const button = h(
        'button',
        { type: 'button', class: 'legend-toggle', 'aria-pressed': 'true', title: 'Hide or show this series' },
        swatch,
        h('span', { class: 'legend-name' }, seriesLabel(s, body.group_by)),
      );
      button.addEventListener('click', () => {
        const shown = button.getAttribute('aria-pressed') !== 'true';
        button.setAttribute('aria-pressed', String(shown));
        plot?.setSeries(i + 1, { show: shown });
      });
      return h(
        'li',
        { 'data-key': s.key ?? '' },
        button,
        h(
          'span',
          { class: 'figure', 'data-ns': String(s.total_value), 'data-testid': 'ts-total' },
          formatNs(s.total_value),
        ),
      );
    });
    replaceChildren(legend, ...items);
  }

  return {
    element,
    render,
    dispose() {
      resizeObserver.disconnect();
      plot?.destroy();
    },
  };
}
