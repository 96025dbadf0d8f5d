import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { openKeyDialog } from './key-dialog.js';

/** Loading, empty and error panels that say what is happening and what to do next. */
export function loadingState(what: string): HTMLElement {
  return h(
    'div',
    { class: 'state loading', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    `Loading ${what}…`,
  );
}

function hintFor(error: ApiError): string {
  if (error.status === 0) return 'Check your network connection, then retry.';
  if (error.status === 400) return 'The API refused these parameters; change the filters or the time range.';
  if (error.status === 404)
    return 'Nothing is known under this id for your tenant: check the id, or the data may have expired.';
  if (error.status === 503 || error.status === 429)
    return 'The API cannot answer right now (GET /healthz tells which of ClickHouse, Kafka or S3 is down). Retry in a few seconds.';
  return 'Retry; if it keeps failing, the API logs say why.';
}

export function errorState(what: string, error: unknown, retry?: () => void): HTMLElement {
  const apiError =
    error instanceof ApiError ? error : new ApiError(0, 'client', (error as Error)?.message ?? String(error));
  if (apiError.needsKey) {
    const refused = apiError.code !== 'no_key';
    return h(
      'div',
      { class: 'state needs-key', role: 'alert' },
      h('h3', {}, refused ? 'The API key was refused (401)' : 'Enter your API key'),
      h(
        'p',
        {},
        refused
          ? 'This key is unknown to the API. Enter a key from HOTSPOTS_API_KEYS (locally: local-dev-key).'
          : 'Hotspots answers only with a key. Enter it once; it stays in this browser.',
      ),
      h('button', { type: 'button', class: 'button primary', onclick: () => openKeyDialog() }, 'Enter API key'),
    );
  }
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('h3', {}, `Could not load ${what}`),
    h(
      'p',
      { class: 'error-message' },
      apiError.status ? `${apiError.status} ${apiError.code}: ${apiError.message}` : apiError.message,
    ),
    h('p', { class: 'muted' }, hintFor(apiError)),
    retry ? h('button', { type: 'button', class: 'button', onclick: retry }, 'Retry') : null,
  );
}

/** What to do when a tenant has no data at all: point an agent here. */
export function noDataState(): HTMLElement {
  const origin = location.origin;
  const code = (text: string) => h('pre', { class: 'snippet', tabindex: 0 }, h('code', {}, text));
  return h(
    'div',
    { class: 'state empty onboarding' },
    h('h3', {}, 'No profiles yet'),
    h('p', {}, 'Point a profiler at this Hotspots API and the first CPU profile shows up here within a minute.'),
    h('h4', {}, 'dd-trace-go (tracer and profiler, unmodified)'),
    code(
      `DD_TRACE_AGENT_URL=${origin}/k/<api-key>\nDD_SERVICE=checkout DD_ENV=prod DD_VERSION=1.2.3\nDD_PROFILING_ENDPOINT_COUNT_ENABLED=true`,
    ),
    h('h4', {}, 'Pyroscope Go SDK (+ otel-profiling-go)'),
    code(`pyroscope.Config{ServerAddress: "${origin}/k/<api-key>", ApplicationName: "checkout"}`),
    h('h4', {}, 'Any pprof file'),
    code(
      `curl -X POST '${origin}/v1/profiles?service=checkout&env=prod&version=1.2.3' \\\n  -H 'Authorization: Bearer <api-key>' -H 'Content-Type: application/octet-stream' \\\n  --data-binary @cpu.pprof`,
    ),
    h('p', { class: 'muted' }, 'More in the README, section "Pointing real clients at Hotspots".'),
  );
}

export function emptyState(title: string, text: string): HTMLElement {
  return h('div', { class: 'state empty' }, h('h3', {}, title), h('p', {}, text));
}
