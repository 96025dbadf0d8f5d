import {
  type EndpointCpu,
  type EndpointCpuBody,
  getJson,
  isAbort,
  type SeriesBody,
  type ServiceEntry,
  type ServicesBody,
} from '../api.js';
import { createFlamePanel, flameQuery } from '../components/flame-graph.js';
import { emptyState, errorState, loadingState, noDataState } from '../components/states.js';
import { createTimeseriesChart } from '../components/timeseries-chart.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { endpointLabel, formatClock, formatNs, formatShare, shareOf } from '../format.js';
import { navigate } from '../router.js';
import { apiParams, type ServiceState, serviceStateFromQuery, serviceStateToQuery } from '../service-state.js';
import {
  chooseStep,
  fromLocalInput,
  type RangeChoice,
  rangePresets,
  resolveRange,
  toLocalInput,
  type Window,
} from '../time-range.js';
import { pageTitle, type View } from './view.js';

/**
 * The service view: CPU by endpoint (ranked, with checkboxes), the flame graph of the checked
 * endpoints (all of them when none is checked), CPU over time by endpoint or version, and the
 * filters (service, time range, env, version). Everything it shows is in the URL.
 */
const nowSeconds = () => Date.now() / 1000;

function windowText(period: Window): string {
  return `${formatClock(period.from * 1000)} – ${formatClock(period.to * 1000)}`;
}

/** The most recently profiled service (spans-only services last). */
function defaultService(services: ServiceEntry[]): string | undefined {
  const latest = (s: ServiceEntry) => Date.parse(s.last_profile_at ?? s.last_span_at ?? '') || 0;
  return [...services].sort((a, b) => Number(b.profiles > 0) - Number(a.profiles > 0) || latest(b) - latest(a))[0]
    ?.service;
}

export function mountServiceView(root: HTMLElement): View {
  let state = serviceStateFromQuery(new URLSearchParams(location.search));
  let period: Window = resolveRange(state.range, nowSeconds());
  let services: ServiceEntry[] | undefined;
  let endpointsBody: EndpointCpuBody | undefined;
  const controllers = new Map<string, AbortController>();
  let loaded = { endpoints: '', series: '', flame: '' };

  const go = (next: Partial<ServiceState>, options: { newWindow?: boolean } = {}) => {
    const merged = { ...state, ...next };
    if (options.newWindow) period = resolveRange(merged.range, nowSeconds());
    navigate(`/?${serviceStateToQuery(merged)}`, { replace: true });
  };

  // Filters ------------------------------------------------------------------------------------
  const serviceSelect = h('select', { id: 'f-service', 'data-testid': 'service-select' });
  const rangeSelect = h(
    'select',
    { id: 'f-range', 'data-testid': 'range-select' },
    ...rangePresets.map((p) => h('option', { value: p.key }, p.label)),
    h('option', { value: 'custom' }, 'Custom…'),
  );
  const fromInput = h('input', { type: 'datetime-local', id: 'f-from', 'aria-label': 'From' });
  const toInput = h('input', { type: 'datetime-local', id: 'f-to', 'aria-label': 'To' });
  const customRange = h('div', { class: 'custom-range', hidden: true }, fromInput, h('span', {}, '–'), toInput);
  const envInput = h('input', { type: 'text', id: 'f-env', placeholder: 'any', autocomplete: 'off', size: 10 });
  const versionList = h('datalist', { id: uniqueId('versions') });
  const versionInput = h('input', {
    type: 'text',
    id: 'f-version',
    placeholder: 'any',
    autocomplete: 'off',
    size: 10,
    list: versionList.id,
  });
  const refresh = h('button', { type: 'button', class: 'button', title: 'Query again up to now' }, 'Refresh');
  const windowLine = h('p', { class: 'muted window-line', 'data-testid': 'window' });
  const field = (label: string, id: string, control: HTMLElement, ...extra: HTMLElement[]) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control, ...extra);
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filters', onsubmit: (e: Event) => e.preventDefault() },
    field('Service', 'f-service', serviceSelect),
    field('Time range', 'f-range', rangeSelect, customRange),
    field('Env', 'f-env', envInput),
    field('Version', 'f-version', versionInput, versionList),
    h('div', { class: 'field field-action' }, refresh),
  );

  serviceSelect.addEventListener('change', () =>
    go({ service: serviceSelect.value, endpoints: [] }, { newWindow: true }),
  );
  rangeSelect.addEventListener('change', () => {
    if (rangeSelect.value === 'custom') {
      const current = period;
      customRange.hidden = false;
      fromInput.value = toLocalInput(current.from);
      toInput.value = toLocalInput(current.to);
      go({ range: { kind: 'custom', from: Math.floor(current.from), to: Math.ceil(current.to) } }, { newWindow: true });
      fromInput.focus();
    } else {
      go({ range: { kind: 'preset', key: rangeSelect.value } }, { newWindow: true });
    }
  });
  const customChanged = () => {
    const from = fromLocalInput(fromInput.value);
    const to = fromLocalInput(toInput.value);
    if (from !== undefined && to !== undefined && to > from) {
      toInput.setCustomValidity('');
      go({ range: { kind: 'custom', from, to } }, { newWindow: true });
    } else {
      toInput.setCustomValidity('The end must come after the start');
      toInput.reportValidity();
    }
  };
  fromInput.addEventListener('change', customChanged);
  toInput.addEventListener('change', customChanged);
  envInput.addEventListener('change', () => go({ env: envInput.value.trim() }, { newWindow: true }));
  versionInput.addEventListener('change', () => go({ version: versionInput.value.trim() }, { newWindow: true }));
  refresh.addEventListener('click', () => {
    period = resolveRange(state.range, nowSeconds());
    loaded = { endpoints: '', series: '', flame: '' };
    render();
  });
  let versionsKey = '';
  versionInput.addEventListener('focus', () => {
    // Versions seen in the window, for the input's suggestions: one bucket grouped by version.
    const key = `${state.service}|${period.from}|${period.to}|${state.env}`;
    if (!state.service || key === versionsKey) return;
    versionsKey = key;
    const params = apiParams({ ...state, version: '' }, period);
    params.set('group_by', 'version');
    params.set('step', String(Math.ceil(period.to - period.from)));
    getJson<SeriesBody>('/v1/endpoints/timeseries', params).then(
      (body) =>
        replaceChildren(
          versionList,
          ...body.series.filter((s) => s.key).map((s) => h('option', { value: s.key ?? '' })),
        ),
      () => undefined,
    );
  });

  // Panels -------------------------------------------------------------------------------------
  const endpointsBodyHost = h('div', { class: 'panel-body' });
  const selectionLine = h('p', { class: 'selection-line', 'aria-live': 'polite', 'data-testid': 'selection' });
  const endpointsPanel = h(
    'section',
    { class: 'panel endpoints-panel', 'aria-labelledby': 'endpoints-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'endpoints-heading' }, 'CPU by endpoint')),
    selectionLine,
    endpointsBodyHost,
  );

  const chart = createTimeseriesChart();
  const seriesHost = h('div', { class: 'panel-body' });
  const groupName = uniqueId('group');
  const groupRadio = (value: 'endpoint' | 'version', label: string) => {
    const id = `${groupName}-${value}`;
    const input = h('input', { type: 'radio', name: groupName, id, value, 'data-testid': `group-${value}` });
    input.addEventListener('change', () => {
      if (input.checked) go({ groupBy: value });
    });
    return [input, h('label', { for: id }, label)];
  };
  const groupSwitch = h(
    'fieldset',
    { class: 'segmented' },
    h('legend', { class: 'visually-hidden' }, 'Group CPU over time by'),
    ...groupRadio('endpoint', 'By endpoint'),
    ...groupRadio('version', 'By version'),
  );
  const seriesPanel = h(
    'section',
    { class: 'panel series-panel', 'aria-labelledby': 'series-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'series-heading' }, 'CPU over time'), groupSwitch),
    seriesHost,
  );

  const flame = createFlamePanel();
  const content = h(
    'div',
    { class: 'service-content' },
    h('div', { class: 'top-grid' }, endpointsPanel, seriesPanel),
    flame.element,
  );
  const body = h('div', { class: 'view-body' });
  // Filters appear once there are services to filter.
  filters.hidden = true;
  windowLine.hidden = true;
  replaceChildren(root, h('h1', { class: 'visually-hidden' }, 'Service CPU'), filters, windowLine, body);

  // Loading ------------------------------------------------------------------------------------
  function fetchInto<T>(
    name: string,
    host: HTMLElement,
    what: string,
    fetcher: (signal: AbortSignal) => Promise<T>,
    done: (value: T) => void,
  ) {
    controllers.get(name)?.abort();
    const controller = new AbortController();
    controllers.set(name, controller);
    replaceChildren(host, loadingState(what));
    fetcher(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) done(value);
      },
      (error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        replaceChildren(
          host,
          errorState(what, error, () => {
            loaded = { endpoints: '', series: '', flame: '' };
            render();
          }),
        );
      },
    );
  }

  function renderServices() {
    fetchInto(
      'services',
      body,
      'services',
      (signal) => getJson<ServicesBody>('/v1/services', undefined, signal),
      (answer) => {
        services = answer.services;
        if (services.length === 0) {
          replaceChildren(body, noDataState());
          return;
        }
        const chosen = state.service ?? defaultService(services);
        if (!state.service && chosen) {
          go({ service: chosen });
          return;
        }
        render();
      },
    );
  }

  function fillServiceSelect() {
    const names = (services ?? []).map((s) => s.service);
    if (state.service && !names.includes(state.service)) names.unshift(state.service);
    const entries = new Map((services ?? []).map((s) => [s.service, s]));
    replaceChildren(
      serviceSelect,
      ...names.map((name) => {
        const entry = entries.get(name);
        const suffix = entry && entry.profiles === 0 ? ' (spans only)' : '';
        return h('option', { value: name, selected: name === state.service }, `${name}${suffix}`);
      }),
    );
    serviceSelect.value = state.service ?? '';
  }

  function syncFilters() {
    fillServiceSelect();
    rangeSelect.value = state.range.kind === 'custom' ? 'custom' : state.range.key;
    customRange.hidden = state.range.kind !== 'custom';
    if (state.range.kind === 'custom') {
      fromInput.value = toLocalInput(state.range.from);
      toInput.value = toLocalInput(state.range.to);
    }
    if (document.activeElement !== envInput) envInput.value = state.env;
    if (document.activeElement !== versionInput) versionInput.value = state.version;
    for (const radio of groupSwitch.querySelectorAll<HTMLInputElement>('input[type=radio]')) {
      radio.checked = radio.value === state.groupBy;
    }
    windowLine.textContent = `${state.service ?? ''} · ${windowText(period)}${state.env ? ` · env ${state.env}` : ''}${state.version ? ` · version ${state.version}` : ''}`;
  }

  function updateSelectionLine() {
    const total = endpointsBody?.total_cpu_ns ?? 0;
    if (state.endpoints.length === 0) {
      replaceChildren(selectionLine, 'Flame graph and chart: all endpoints. Tick endpoints to narrow them.');
      return;
    }
    const chosen = (endpointsBody?.endpoints ?? []).filter(
      (e) => e.endpoint !== null && state.endpoints.includes(e.endpoint),
    );
    const cpu = chosen.reduce((sum, e) => sum + e.cpu_ns, 0);
    const clear = h(
      'button',
      { type: 'button', class: 'button subtle small', 'data-testid': 'clear-selection' },
      'Clear',
    );
    clear.addEventListener('click', () => go({ endpoints: [] }));
    replaceChildren(
      selectionLine,
      `Flame graph and chart: ${state.endpoints.length} endpoint${state.endpoints.length === 1 ? '' : 's'}, `,
      h('span', { class: 'figure', 'data-testid': 'selection-cpu', 'data-ns': String(cpu) }, formatNs(cpu)),
      ` (${formatShare(shareOf(cpu, total))}) `,
      clear,
    );
  }

  function toggleEndpoint(endpoint: string, checked: boolean) {
    const next = checked ? [...state.endpoints, endpoint] : state.endpoints.filter((e) => e !== endpoint);
    go({ endpoints: [...new Set(next)] });
  }

  function endpointRow(entry: EndpointCpu, index: number, maxCpu: number): HTMLTableRowElement {
    const id = `ep-${index}`;
    const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${(shareOf(entry.cpu_ns, maxCpu) * 100).toFixed(2)}%`;
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
        checked: state.endpoints.includes(endpoint),
        'data-endpoint': endpoint,
      });
      box.addEventListener('change', () => toggleEndpoint(endpoint, box.checked));
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
        class: entry.endpoint !== null && state.endpoints.includes(entry.endpoint) ? 'checked' : '',
      },
      h('td', { class: 'check' }, control),
      h('td', { class: 'endpoint' }, label, h('span', { class: 'bar-track' }, bar)),
      h(
        'td',
        { class: 'num figure', 'data-ns': String(entry.cpu_ns), 'data-testid': 'endpoint-cpu' },
        formatNs(entry.cpu_ns),
      ),
      h('td', { class: 'num', 'data-testid': 'endpoint-share' }, formatShare(entry.share)),
      h('td', { class: 'num wide-only' }, entry.requests === undefined ? '–' : String(entry.requests)),
      h(
        'td',
        { class: 'num wide-only' },
        entry.cpu_ns_per_request === undefined ? '–' : formatNs(entry.cpu_ns_per_request),
      ),
    );
  }

  function renderEndpoints(answer: EndpointCpuBody) {
    endpointsBody = answer;
    if (answer.endpoints.length === 0 || answer.total_cpu_ns === 0) {
      replaceChildren(
        endpointsBodyHost,
        emptyState(
          `No CPU for ${state.service} in this time range`,
          'Choose a wider time range, or clear the env and version filters. Profiles appear about a minute after the agent uploads them.',
        ),
      );
      updateSelectionLine();
      return;
    }
    const maxCpu = Math.max(...answer.endpoints.map((e) => e.cpu_ns));
    const table = h(
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
      h('tbody', {}, ...answer.endpoints.map((entry, i) => endpointRow(entry, i, maxCpu))),
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
            { class: 'num figure', 'data-ns': String(answer.total_cpu_ns), 'data-testid': 'endpoints-total' },
            formatNs(answer.total_cpu_ns),
          ),
          h('td', { class: 'num' }, '100%'),
          h('td', { class: 'wide-only' }),
          h('td', { class: 'wide-only' }),
        ),
      ),
    );
    replaceChildren(
      endpointsBodyHost,
      h('div', { class: 'table-scroll' }, table),
      answer.truncated
        ? h('p', { class: 'muted' }, 'Only the largest endpoints are listed (HOTSPOTS_MAX_RESULT_ROWS).')
        : null,
    );
    updateSelectionLine();
  }

  /** Checkbox and row states follow the URL without rebuilding the table (keeps focus). */
  function syncCheckboxes() {
    for (const box of endpointsBodyHost.querySelectorAll<HTMLInputElement>('input[type=checkbox][data-endpoint]')) {
      const checked = state.endpoints.includes(box.dataset.endpoint ?? '');
      box.checked = checked;
      box.closest('tr')?.classList.toggle('checked', checked);
    }
    updateSelectionLine();
  }

  function render() {
    if (!services) {
      renderServices();
      return;
    }
    if (!state.service) return;
    if (body.firstChild !== content) replaceChildren(body, content);
    filters.hidden = false;
    windowLine.hidden = false;
    syncFilters();
    document.title = pageTitle(state.service);
    const base = JSON.stringify([state.service, period, state.env, state.version]);
    if (loaded.endpoints !== base) {
      loaded.endpoints = base;
      fetchInto(
        'endpoints',
        endpointsBodyHost,
        'CPU by endpoint',
        (signal) => getJson<EndpointCpuBody>('/v1/endpoints/cpu', apiParams(state, period), signal),
        renderEndpoints,
      );
    } else {
      syncCheckboxes();
    }
    const seriesKey = JSON.stringify([base, state.endpoints, state.groupBy]);
    if (loaded.series !== seriesKey) {
      loaded.series = seriesKey;
      const params = apiParams(state, period, { endpoints: true });
      params.set('step', String(chooseStep(period)));
      params.set('group_by', state.groupBy);
      fetchInto(
        'series',
        seriesHost,
        'CPU over time',
        (signal) => getJson<SeriesBody>('/v1/endpoints/timeseries', params, signal),
        (answer) => {
          if (answer.series.length === 0) {
            replaceChildren(
              seriesHost,
              emptyState('No CPU over time', 'Nothing was sampled in this time range for this selection.'),
            );
            return;
          }
          replaceChildren(seriesHost, chart.element);
          chart.render(answer);
        },
      );
    }
    const flameKey = JSON.stringify([base, state.endpoints]);
    if (loaded.flame !== flameKey) {
      loaded.flame = flameKey;
      const params = apiParams(state, period, { endpoints: true });
      const what =
        state.endpoints.length === 0
          ? `All CPU of ${state.service}`
          : `${state.service}: ${state.endpoints.map((e) => `“${e}”`).join(', ')}`;
      flame.show(flameQuery(`${what} · ${windowText(period)}`, params, `${state.service}-cpu.pprof.gz`));
    }
  }

  render();

  return {
    update() {
      const previous = state;
      state = serviceStateFromQuery(new URLSearchParams(location.search));
      const rangeChanged = JSON.stringify(previous.range) !== JSON.stringify(state.range);
      if (rangeChanged || previous.service !== state.service)
        period = resolveRange(state.range as RangeChoice, nowSeconds());
      render();
    },
    dispose() {
      for (const controller of controllers.values()) controller.abort();
      flame.dispose();
      chart.dispose();
    },
  };
}
