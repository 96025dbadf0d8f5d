import { spanPath, tracePath } from '../../../../shared/web/client-routes.js';
import type { EndpointRequestsBody } from '../../api-answers.js';
import { emptyState } from '../../components/states.js';
import { h, replaceChildren } from '../../dom.js';
import { formatNs } from '../../format.js';

/**
 * "Most expensive requests" of the one checked endpoint (`GET /v1/endpoints/requests`): each
 * request's CPU (its whole request, as the span view shows it), duration, and a link to its trace
 * (or its span when the trace is unknown).
 */
export interface RequestsPanel {
  element: HTMLElement;
  body: HTMLElement;
  hide(): void;
  render(answer: EndpointRequestsBody): void;
}

/**
 * The request heatmap: one column per time slot, one row per CPU bucket (largest on top), each
 * cell shaded by its request count and holding its CPU sum; a cell's exemplar is its costliest
 * request.
 */
function heatmapGrid(answer: EndpointRequestsBody): HTMLElement | null {
  const { slots, y_min: yMin } = answer.heatmap;
  if (slots.length === 0) return null;
  const most = Math.max(1, ...slots.flatMap((slot) => slot.counts));
  // Columns span the whole window (empty slots are absent from the answer): slot t is a right edge.
  const startMs = Date.parse(answer.from);
  const stepMs = answer.heatmap.step_seconds * 1000;
  const columns = Math.max(1, Math.ceil((Date.parse(answer.to) - startMs) / stepMs));
  const columnOf = (t: number) => Math.min(columns, Math.max(1, Math.ceil((t - startMs) / stepMs)));
  const grid = h('div', { class: 'request-heatmap', 'data-testid': 'request-heatmap' });
  grid.style.gridTemplateColumns = `repeat(${columns}, minmax(2px, 1fr))`;
  grid.style.gridTemplateRows = `repeat(${yMin.length}, 8px)`;
  for (let bucket = yMin.length - 1; bucket >= 0; bucket -= 1) {
    for (const slot of slots) {
      const count = slot.counts[bucket] ?? 0;
      const exemplar = slot.exemplars[bucket];
      const cell = h('span', {
        class: 'heat-cell',
        'data-testid': 'heat-cell',
        'data-t': String(slot.t),
        'data-bucket': String(bucket),
        'data-count': String(count),
        'data-ns': String(slot.values[bucket] ?? 0),
        title:
          count === 0
            ? ''
            : `${count} requests ≥ ${formatNs(yMin[bucket] ?? 0)} each, ${formatNs(slot.values[bucket] ?? 0)} in all${exemplar ? `; costliest ${exemplar.span_id} (${formatNs(exemplar.value)})` : ''}`,
      });
      cell.style.opacity = count === 0 ? '0.05' : String(0.25 + (0.75 * count) / most);
      cell.style.gridColumn = String(columnOf(slot.t));
      cell.style.gridRow = String(yMin.length - bucket);
      grid.append(cell);
    }
  }
  return h(
    'figure',
    { class: 'request-heatmap-figure' },
    grid,
    h(
      'figcaption',
      { class: 'muted' },
      `Requests by CPU (rows, ${formatNs(yMin[0] ?? 0)} at the bottom) over time (columns of ${answer.heatmap.step_seconds} s).`,
    ),
  );
}

export function createRequestsPanel(): RequestsPanel {
  const body = h('div', { class: 'panel-body' });
  const heading = h('h2', { id: 'requests-heading' }, 'Most expensive requests');
  const element = h(
    'section',
    { class: 'panel requests-panel', 'aria-labelledby': 'requests-heading', 'data-testid': 'costly-requests' },
    h('div', { class: 'panel-head' }, heading),
    body,
  );
  return {
    element,
    body,
    hide() {
      element.hidden = true;
    },
    render(answer) {
      element.hidden = false;
      heading.textContent = `Most expensive requests of ${answer.endpoint}`;
      if (answer.requests.length === 0) {
        replaceChildren(
          body,
          emptyState('No requests', 'No sample of this endpoint carries a request (local root) label.'),
        );
        return;
      }
      const rows = answer.requests.map((r) => {
        const href = r.trace_id ? tracePath(r.trace_id) : spanPath(r.local_root_span_id);
        return h(
          'tr',
          { 'data-testid': 'request-row', 'data-span-id': r.local_root_span_id },
          h('td', { class: 'num', 'data-testid': 'request-cpu', 'data-ns': String(r.cpu_ns) }, formatNs(r.cpu_ns)),
          h(
            'td',
            { class: 'num', 'data-testid': 'request-duration' },
            r.span ? formatNs(Number(r.span.duration_ns)) : '–',
          ),
          h(
            'td',
            { class: 'mono' },
            h('a', { href, 'data-link': '', 'data-testid': 'request-link' }, r.local_root_span_id),
          ),
        );
      });
      replaceChildren(
        body,
        h(
          'p',
          { class: 'muted' },
          `${answer.request_count} requests; ranked by CPU in this window. CPU is the whole request's.`,
        ),
        heatmapGrid(answer),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'requests', 'data-testid': 'requests-table' },
            h(
              'thead',
              {},
              h('tr', {}, ...['CPU', 'Duration', 'Request (local root span)'].map((t) => h('th', { scope: 'col' }, t))),
            ),
            h('tbody', {}, ...rows),
          ),
        ),
      );
    },
  };
}
