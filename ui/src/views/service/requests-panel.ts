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
