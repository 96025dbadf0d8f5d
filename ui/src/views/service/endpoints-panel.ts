import type { EndpointCpu, EndpointCpuBody } from '../../api-answers.js';
import { emptyState } from '../../components/states.js';
import { h, replaceChildren } from '../../dom.js';
import { endpointLabel, formatNs, formatShare, shareOf } from '../../format.js';
import { selectedCpu } from './model.js';

/**
 * "CPU by endpoint": the ranking of `GET /v1/endpoints/cpu` with a checkbox per endpoint, and the
 * line saying what the flame graph and the chart show. Ticking reports the endpoint; the view
 * answers with the new selection.
 */
export interface EndpointsPanelOptions {
  onToggle(endpoint: string, checked: boolean): void;
  onClear(): void;
}

export interface EndpointsPanel {
  element: HTMLElement;
  /** Where the ranking goes, and meanwhile its loading or error state. */
  body: HTMLElement;
  /** Draws the ranking of one answer, `selected` ticked. */
  render(answer: EndpointCpuBody, service: string | null, selected: readonly string[]): void;
  /** Ticks `selected` without rebuilding the table, so the focused checkbox keeps focus. */
  select(selected: readonly string[]): void;
}

export function createEndpointsPanel(options: EndpointsPanelOptions): EndpointsPanel {
  // The answer drawn last: the selection line sums the CPU of the ticked endpoints in it.
  let answer: EndpointCpuBody | undefined;
  const body = h('div', { class: 'panel-body' });
  const selectionLine = h('p', { class: 'selection-line', 'aria-live': 'polite', 'data-testid': 'selection' });
  const element = h(
    'section',
    { class: 'panel endpoints-panel', 'aria-labelledby': 'endpoints-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'endpoints-heading' }, 'CPU by endpoint')),
    selectionLine,
    body,
  );

  function updateSelectionLine(selected: readonly string[]) {
    if (selected.length === 0) {
      replaceChildren(selectionLine, 'Flame graph and chart: all endpoints. Tick endpoints to narrow them.');
      return;
    }
    const total = answer?.total_value ?? 0;
    const cpu = selectedCpu(answer, selected);
    const clear = h(
      'button',
      { type: 'button', class: 'button subtle small', 'data-testid': 'clear-selection' },
      'Clear',
    );
    clear.addEventListener('click', () => options.onClear());
    replaceChildren(
      selectionLine,
      `Flame graph and chart: ${selected.length} endpoint${selected.length === 1 ? '' : 's'}, `,
      h('span', { class: 'figure', 'data-testid': 'selection-cpu', 'data-ns': String(cpu) }, formatNs(cpu)),
      ` (${formatShare(shareOf(cpu, total))}) `,
      clear,
    );
  }

  function endpointRow(
    entry: EndpointCpu,
    index: number,
    maxCpu: number,
    selected: readonly string[],
  ): HTMLTableRowElement {
    const id = `ep-${index}`;
    const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${(shareOf(entry.value, maxCpu) * 100).toFixed(2)}%`;
    const name = endpointLabel(entry.endpoint);
    let control: HTMLElement;
    if (entry.endpoint === null) {
      control = h('span', {
        class: 'no-checkbox',
        title: 'CPU without an endpoint label cannot be selected: the API filters by endpoint label',
      });
    } else {
      const endpoint = entry.endpoint;
      const box = h('input', {
        type: 'checkbox',
        id,
        checked: selected.includes(endpoint),
        'data-endpoint': endpoint,
      });
      box.addEventListener('change', () => options.onToggle(endpoint, box.checked));
      // Native checkboxes toggle on Space; Enter too, as the rest of the UI's controls do.
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          box.click();
        }
      });
      control = box;
    }
    const label =
      entry.endpoint === null
        ? h('span', { class: 'endpoint-name unlabelled' }, name)
        : h('label', { for: id, class: 'endpoint-name' }, name);
    return h(
      'tr',
      {
        'data-testid': 'endpoint-row',
        class: entry.endpoint !== null && selected.includes(entry.endpoint) ? 'checked' : '',
      },
      h('td', { class: 'check' }, control),
      h('td', { class: 'endpoint' }, label, h('span', { class: 'bar-track' }, bar)),
      h(
        'td',
        { class: 'num figure', 'data-ns': String(entry.value), 'data-testid': 'endpoint-cpu' },
        formatNs(entry.value),
      ),
      h('td', { class: 'num', 'data-testid': 'endpoint-share' }, formatShare(entry.share)),
      h('td', { class: 'num wide-only' }, entry.requests === undefined ? '–' : String(entry.requests)),
      h(
        'td',
        { class: 'num wide-only' },
        entry.value_per_request === undefined ? '–' : formatNs(entry.value_per_request),
      ),
    );
  }

  function table(ranking: EndpointCpuBody, selected: readonly string[]): HTMLTableElement {
    const maxCpu = Math.max(...ranking.endpoints.map((e) => e.value));
    return h(
      'table',
      { class: 'endpoints', 'data-testid': 'endpoints-table' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'CPU by endpoint, largest first; tick endpoints to filter the flame graph',
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'check' }, h('span', { class: 'visually-hidden' }, 'Select')),
          h('th', { scope: 'col' }, 'Endpoint'),
          h('th', { scope: 'col', class: 'num' }, 'CPU'),
          h('th', { scope: 'col', class: 'num' }, 'Share'),
          h('th', { scope: 'col', class: 'num wide-only' }, 'Requests'),
          h('th', { scope: 'col', class: 'num wide-only' }, 'CPU/request'),
        ),
      ),
      h('tbody', {}, ...ranking.endpoints.map((entry, i) => endpointRow(entry, i, maxCpu, selected))),
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('td', {}),
          h('th', { scope: 'row' }, 'Total'),
          h(
            'td',
            { class: 'num figure', 'data-ns': String(ranking.total_value), 'data-testid': 'endpoints-total' },
            formatNs(ranking.total_value),
          ),
          h('td', { class: 'num' }, '100%'),
          h('td', { class: 'wide-only' }),
          h('td', { class: 'wide-only' }),
        ),
      ),
    );
  }

  return {
    element,
    body,
    render(next, service, selected) {
      answer = next;
      if (next.endpoints.length === 0 || next.total_value === 0) {
        replaceChildren(
          body,
          emptyState(
            `No CPU for ${service} in this time range`,
            'Choose a wider time range, or clear the env and version filters. Profiles appear about a minute after the agent uploads them.',
          ),
        );
      } else {
        replaceChildren(
          body,
          h('div', { class: 'table-scroll' }, table(next, selected)),
          next.truncated
            ? h('p', { class: 'muted' }, 'Only the largest endpoints are listed (HOTSPOTS_MAX_RESULT_ROWS).')
            : null,
        );
      }
      updateSelectionLine(selected);
    },
    select(selected) {
      for (const box of body.querySelectorAll<HTMLInputElement>('input[type=checkbox][data-endpoint]')) {
        const checked = selected.includes(box.dataset.endpoint ?? '');
        box.checked = checked;
        box.closest('tr')?.classList.toggle('checked', checked);
      }
      updateSelectionLine(selected);
    },
  };
}
