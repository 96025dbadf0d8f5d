import { getJson, isAbort, type SpanHotspotsBody } from '../api.js';
import { createFlamePanel } from '../components/flame-graph.js';
import { categorySlug, flameFor, type ProfileMode, profileModeFrom, spanDetails } from '../components/span-details.js';
import { errorState, loadingState } from '../components/states.js';
import { h, replaceChildren } from '../dom.js';
import { formatClock, formatNs } from '../format.js';
import { navigate } from '../router.js';
import { layoutWaterfall, type TraceBody, type WaterfallRow } from '../waterfall.js';
import { pageTitle, type View } from './view.js';

/**
 * `/traces/<id>[?span=<id>&profile=span|request|trace]`: the span waterfall of
 * `GET /v1/traces/{id}`, each bar split into on-CPU time and the unexplained rest (or marked "not
 * profiled"), the chosen span's hotspots, and the flame graph of that span, its request or the
 * whole trace.
 */
function barFor(row: WaterfallRow): HTMLElement {
  const { span } = row;
  const bar = h('span', {
    class: `wf-bar${span.profiled ? '' : ' not-profiled'}${span.error ? ' error' : ''}`,
    'data-testid': 'wf-bar',
  });
  bar.style.left = `${(row.offset * 100).toFixed(3)}%`;
  bar.style.width = `max(2px, ${(row.width * 100).toFixed(3)}%)`;
  if (row.segments.length > 0) {
    for (const segment of row.segments) {
      const part = h('span', {
        class: `wf-seg seg-${categorySlug(segment.category)}`,
        'data-testid': 'wf-seg',
        'data-category': segment.category,
        'data-ns': String(segment.ns),
      });
      part.style.width = `${(segment.fraction * 100).toFixed(3)}%`;
      bar.append(part);
    }
  } else if (span.profiled) {
    const cpu = h('span', { class: 'wf-cpu', 'data-testid': 'wf-cpu' });
    cpu.style.width = `${(row.cpuFraction * 100).toFixed(3)}%`;
    const rest = h('span', { class: 'wf-unexplained', 'data-testid': 'wf-unexplained' });
    rest.style.width = `${(100 - row.cpuFraction * 100).toFixed(3)}%`;
    bar.append(cpu, rest);
  }
  return bar;
}

function rowText(row: WaterfallRow): string {
  const { span } = row;
  if (row.segments.length > 0) {
    return [formatNs(span.duration_ns), ...row.segments.map((s) => `${formatNs(s.ns)} ${s.category}`)].join(' · ');
  }
  if (!span.profiled) return `${formatNs(span.duration_ns)} · not profiled`;
  return `${formatNs(span.duration_ns)} · ${formatNs(row.onCpuNs)} CPU${row.cpuExceedsDuration ? ' (parallel)' : ''} · ${formatNs(span.unexplained_ns)} unexplained`;
}

export function mountTraceView(root: HTMLElement, traceId: string): View {
  let trace: TraceBody | undefined;
  let rows: WaterfallRow[] = [];
  const controllers: AbortController[] = [];
  const summary = h('div', { class: 'trace-summary' });
  const waterfallHost = h('div', { class: 'panel waterfall-panel' });
  const detailsHost = h('div', { class: 'details-host' });
  const flame = createFlamePanel();
  flame.element.hidden = true;
  let shownSpan = '';
  let shownMode = '';

  replaceChildren(
    root,
    h('div', { class: 'view-head' }, h('h1', {}, 'Trace ', h('code', { class: 'id' }, traceId)), summary),
    waterfallHost,
    detailsHost,
    flame.element,
  );
  document.title = pageTitle(`Trace ${traceId}`);

  const query = () => new URLSearchParams(location.search);
  const setQuery = (span: string, mode: ProfileMode) =>
    navigate(`${location.pathname}?${new URLSearchParams({ span, profile: mode })}`, { replace: true });

  function renderWaterfall() {
    if (!trace) return;
    const selected = query().get('span') ?? rows[0]?.span.span_id;
    const services = [...new Set(trace.spans.map((s) => s.service))];
    replaceChildren(
      summary,
      h(
        'dl',
        { class: 'figures inline' },
        h(
          'div',
          {},
          h('dt', {}, 'Duration'),
          h(
            'dd',
            { class: 'figure', 'data-testid': 'trace-duration', 'data-ns': String(trace.duration_ns) },
            formatNs(trace.duration_ns),
          ),
        ),
        h(
          'div',
          {},
          h('dt', {}, 'CPU (spans)'),
          h(
            'dd',
            { class: 'figure', 'data-testid': 'trace-cpu', 'data-ns': String(trace.cpu_ns) },
            formatNs(trace.cpu_ns),
          ),
        ),
        h('div', {}, h('dt', {}, 'Spans'), h('dd', {}, String(trace.spans.length))),
        h('div', {}, h('dt', {}, 'Services'), h('dd', {}, services.join(', '))),
        h('div', {}, h('dt', {}, 'Started'), h('dd', {}, formatClock(trace.start_ns / 1e6))),
      ),
    );
    const legend = h(
      'ul',
      { class: 'wf-legend', 'aria-label': 'Legend' },
      h('li', {}, h('span', { class: 'key key-cpu', 'aria-hidden': 'true' }), 'on CPU'),
      h(
        'li',
        {},
        h('span', { class: 'key key-unexplained', 'aria-hidden': 'true' }),
        'unexplained (off CPU: I/O, locks, waiting)',
      ),
      h('li', {}, h('span', { class: 'key key-not-profiled', 'aria-hidden': 'true' }), 'not profiled (CPU unknown)'),
      h('li', {}, h('span', { class: 'key seg-lock-wait', 'aria-hidden': 'true' }), 'lock wait'),
      h(
        'li',
        {},
        h('span', { class: 'key seg-uncategorized', 'aria-hidden': 'true' }),
        'uncategorized (wall time neither on CPU nor waiting on a lock)',
      ),
    );
    const duration = trace.duration_ns;
    const ticks = h(
      'div',
      { class: 'wf-axis', 'aria-hidden': 'true' },
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const tick = h('span', { class: 'tick' }, formatNs(f * duration));
        tick.style.left = `${f * 100}%`;
        return tick;
      }),
    );
    const list = h(
      'ol',
      { class: 'waterfall', 'data-testid': 'waterfall' },
      ...rows.map((row) => {
        const { span } = row;
        const button = h(
          'button',
          {
            type: 'button',
            class: 'wf-row',
            'aria-pressed': String(span.span_id === selected),
            'data-span-id': span.span_id,
            'data-testid': 'wf-row',
            title: `${span.service} ${span.name} ${span.resource}: ${rowText(row)}`,
          },
          h(
            'span',
            { class: 'wf-label' },
            h('span', { class: 'wf-service' }, span.service),
            h('span', { class: 'wf-name' }, span.name),
            span.resource ? h('span', { class: 'wf-resource' }, span.resource) : null,
          ),
          h('span', { class: 'wf-track' }, barFor(row)),
          h('span', { class: 'wf-text', 'data-testid': 'wf-text' }, rowText(row)),
        );
        button.style.setProperty('--depth', String(Math.min(row.depth, 12)));
        button.addEventListener('click', () =>
          setQuery(span.span_id, span.cpu_ns_with_children !== null ? 'request' : 'span'),
        );
        return h('li', {}, button);
      }),
    );
    replaceChildren(
      waterfallHost,
      h('div', { class: 'panel-head' }, h('h2', {}, 'Spans'), legend),
      h('div', { class: 'wf-header' }, h('span', { class: 'wf-label' }, 'Span'), ticks),
      list,
      trace.truncated
        ? h('p', { class: 'muted' }, 'Only the first spans of this trace are shown (HOTSPOTS_MAX_RESULT_ROWS).')
        : null,
    );
  }

  function renderSelection() {
    if (!trace) return;
    const spanId = query().get('span') ?? rows[0]?.span.span_id;
    if (!spanId) return;
    for (const button of waterfallHost.querySelectorAll<HTMLButtonElement>('button.wf-row')) {
      button.setAttribute('aria-pressed', String(button.dataset.spanId === spanId));
    }
    const row = rows.find((r) => r.span.span_id === spanId);
    const requested = profileModeFrom(query().get('profile'));
    const mode: ProfileMode = requested ?? (row?.span.cpu_ns_with_children !== null ? 'request' : 'span');
    if (spanId === shownSpan && mode === shownMode) return;
    const spanChanged = spanId !== shownSpan;
    shownSpan = spanId;
    shownMode = mode;
    const controller = new AbortController();
    controllers.push(controller);
    if (spanChanged) replaceChildren(detailsHost, loadingState(`span ${spanId}`));
    getJson<SpanHotspotsBody>(`/v1/spans/${encodeURIComponent(spanId)}/hotspots`, undefined, controller.signal).then(
      (body) => {
        if (shownSpan !== spanId) return;
        const open = h(
          'a',
          { href: `/spans/${encodeURIComponent(spanId)}`, 'data-link': true, class: 'button subtle' },
          'Open span page',
        );
        replaceChildren(
          detailsHost,
          spanDetails(body, { active: mode, onProfile: (next) => setQuery(spanId, next), extraActions: [open] }),
        );
        flame.element.hidden = false;
        flame.show(flameFor(mode, body));
      },
      (error: unknown) => {
        if (isAbort(error) || shownSpan !== spanId) return;
        replaceChildren(
          detailsHost,
          errorState(`span ${spanId}`, error, () => {
            shownSpan = '';
            renderSelection();
          }),
        );
      },
    );
  }

  function load() {
    const controller = new AbortController();
    controllers.push(controller);
    replaceChildren(waterfallHost, loadingState('the trace'));
    getJson<TraceBody>(`/v1/traces/${encodeURIComponent(traceId)}`, undefined, controller.signal).then(
      (body) => {
        trace = body;
        rows = layoutWaterfall(body);
        renderWaterfall();
        renderSelection();
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        replaceChildren(waterfallHost, errorState(`trace ${traceId}`, error, load));
      },
    );
  }

  load();

  return {
    update: renderSelection,
    dispose() {
      for (const controller of controllers) controller.abort();
      flame.dispose();
    },
  };
}
