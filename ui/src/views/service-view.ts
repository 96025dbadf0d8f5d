import { getJson } from '../api.js';
import type {
  ChangesBody,
  EndpointCpuBody,
  EndpointRequestsBody,
  IngestErrorsBody,
  SeriesBody,
  ServiceEntry,
  ServicesBody,
} from '../api-answers.js';
import { createFlamePanel, flameQuery } from '../components/flame-graph.js';
import { noDataState } from '../components/states.js';
import { h, replaceChildren } from '../dom.js';
import { navigate } from '../router.js';
import { apiParams, type ServiceState, serviceStateFromQuery, serviceStateToQuery } from '../service-state.js';
import { resolveRange, type Window } from '../time-range.js';
import { createChangesPanel } from './service/changes-panel.js';
import { createEndpointsPanel } from './service/endpoints-panel.js';
import { createFilters } from './service/filters.js';
import { createIngestErrorsPanel } from './service/ingest-errors-panel.js';
import { createLoader } from './service/loader.js';
import {
  defaultService,
  endpointsQuery,
  flameSelection,
  type LoadKeys,
  loadKeys,
  needsNewWindow,
  seriesQuery,
  toggleEndpoint,
  versionsOf,
  versionsQuery,
} from './service/model.js';
import { createRequestsPanel } from './service/requests-panel.js';
import { createSeriesPanel } from './service/series-panel.js';
import { pageTitle, type View } from './view.js';

/**
 * The service view: CPU by endpoint (ranked, with checkboxes), the flame graph of the checked
 * endpoints (all of them when none is checked), CPU over time by endpoint or version, the
 * service's uploads the consumer refused (ingest errors), and the filters (service, time range,
 * env, version). Everything it shows is in the URL: the panels report what the user did, the view
 * turns it into a new URL, and the URL into what each panel shows and fetches.
 */
const nowSeconds = () => Date.now() / 1000;
const nothingLoaded: LoadKeys = { endpoints: '', series: '', flame: '' };

export function mountServiceView(root: HTMLElement): View {
  let state = serviceStateFromQuery(new URLSearchParams(location.search));
  let period: Window = resolveRange(state.range, nowSeconds());
  let services: ServiceEntry[] | undefined;
  // What each panel shows (or is fetching): a panel is fetched again when its key changes.
  let loaded = nothingLoaded;
  // The service whose ingest errors are shown (or fetched); undefined: fetch them again.
  let errorsLoadedFor: string | null | undefined;

  const go = (next: Partial<ServiceState>, options: { newWindow?: boolean } = {}) => {
    const merged = { ...state, ...next };
    if (options.newWindow) period = resolveRange(merged.range, nowSeconds());
    navigate(`/?${serviceStateToQuery(merged)}`, { replace: true });
  };
  const reload = () => {
    loaded = nothingLoaded;
    errorsLoadedFor = undefined;
    render();
  };

  const loader = createLoader(reload);
  const filters = createFilters({
    current: () => ({ state, period }),
    onChange: (next) => go(next, { newWindow: true }),
    onRefresh: () => {
      period = resolveRange(state.range, nowSeconds());
      reload();
    },
    listVersions: (forState, forPeriod) =>
      getJson<SeriesBody>('/v1/endpoints/timeseries', versionsQuery(forState, forPeriod)).then(versionsOf),
  });
  const endpoints = createEndpointsPanel({
    onToggle: (endpoint, checked) => go({ endpoints: toggleEndpoint(state.endpoints, endpoint, checked) }),
    onClear: () => go({ endpoints: [] }),
  });
  const series = createSeriesPanel({ onGroupBy: (groupBy) => go({ groupBy }) });
  const flame = createFlamePanel();
  const ingestErrors = createIngestErrorsPanel();
  const changesPanel = createChangesPanel();
  const requestsPanel = createRequestsPanel();
  requestsPanel.hide();
  // What the deploy report and the requests list show (or fetch): fetched again when it changes.
  let changesLoaded = '';
  let requestsLoaded = '';

  const content = h(
    'div',
    { class: 'service-content' },
    h('div', { class: 'top-grid' }, endpoints.element, series.element),
    requestsPanel.element,
    flame.element,
    changesPanel.element,
    ingestErrors.element,
  );
  const body = h('div', { class: 'view-body' });
  replaceChildren(root, h('h1', { class: 'visually-hidden' }, 'Service CPU'), filters.form, filters.windowLine, body);

  function loadServices() {
    loader.load(
      'services',
      body,
      'services',
      (signal) => getJson<ServicesBody>('/v1/services', undefined, signal),
      (answer) => {
        services = answer.services;
        if (services.length === 0) {
          replaceChildren(body, noDataState());
          showTenantIngestErrors();
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

  /** With nothing committed yet, the uploads that were refused say why (shown only when there are some). */
  function showTenantIngestErrors() {
    const host = h('div', { class: 'onboarding-errors' });
    body.append(host);
    loader.load(
      'ingest-errors',
      host,
      'ingest errors',
      (signal) => getJson<IngestErrorsBody>('/v1/ingest-errors', undefined, signal),
      (answer) => {
        if (answer.errors.length === 0) {
          host.remove();
          return;
        }
        replaceChildren(host, ingestErrors.element);
        ingestErrors.render(answer, null);
      },
    );
  }

  function render() {
    if (!services) {
      loadServices();
      return;
    }
    if (!state.service) return;
    if (body.firstChild !== content) replaceChildren(body, content);
    filters.show(state, period, services);
    series.group(state.groupBy);
    document.title = pageTitle(state.service);
    const keys = loadKeys(state, period);
    if (loaded.endpoints !== keys.endpoints) {
      loader.load(
        'endpoints',
        endpoints.body,
        'CPU by endpoint',
        (signal) => getJson<EndpointCpuBody>('/v1/endpoints/cpu', endpointsQuery(state, period), signal),
        (answer) => endpoints.render(answer, state.service, state.endpoints),
      );
    } else {
      endpoints.select(state.endpoints);
    }
    if (loaded.series !== keys.series) {
      const params = seriesQuery(state, period);
      loader.load(
        'series',
        series.body,
        'CPU over time',
        (signal) => getJson<SeriesBody>('/v1/endpoints/timeseries', params, signal),
        (answer) => series.render(answer),
      );
    }
    if (loaded.flame !== keys.flame) {
      const selection = flameSelection(state, period);
      const measures = services?.find((s) => s.service === state.service)?.measures;
      flame.show(flameQuery(selection.title, selection.params, selection.downloadName, measures));
    }
    const changesParams = apiParams(state, period);
    changesParams.delete('version');
    if (changesLoaded !== changesParams.toString() || loaded === nothingLoaded) {
      changesLoaded = changesParams.toString();
      loader.load(
        'changes',
        changesPanel.body,
        'deploy report',
        (signal) => getJson<ChangesBody>('/v1/changes', changesParams, signal),
        (answer) => {
          changesPanel.render(answer);
          series.markVersions(answer.versions, period);
        },
      );
    }
    const [onlyEndpoint] = state.endpoints;
    if (state.endpoints.length === 1 && onlyEndpoint !== undefined) {
      const params = apiParams(state, period);
      params.set('endpoint', onlyEndpoint);
      if (requestsLoaded !== params.toString() || loaded === nothingLoaded) {
        requestsLoaded = params.toString();
        loader.load(
          'requests',
          requestsPanel.body,
          'most expensive requests',
          (signal) => getJson<EndpointRequestsBody>('/v1/endpoints/requests', params, signal),
          (answer) => requestsPanel.render(answer),
        );
      }
    } else {
      requestsLoaded = '';
      requestsPanel.hide();
    }
    if (errorsLoadedFor !== state.service) {
      const service = state.service;
      errorsLoadedFor = service;
      loader.load(
        'ingest-errors',
        ingestErrors.body,
        'ingest errors',
        (signal) => getJson<IngestErrorsBody>('/v1/ingest-errors', new URLSearchParams({ service }), signal),
        (answer) => ingestErrors.render(answer, service),
      );
    }
    loaded = keys;
  }

  render();

  return {
    update() {
      const previous = state;
      state = serviceStateFromQuery(new URLSearchParams(location.search));
      if (needsNewWindow(previous, state)) period = resolveRange(state.range, nowSeconds());
      render();
    },
    dispose() {
      loader.abort();
      flame.dispose();
      series.dispose();
    },
  };
}
