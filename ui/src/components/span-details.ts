import type { FunctionCpu, SpanHotspotsBody } from '../api.js';
import type { Breakdown } from '../api-answers.js';
import { h } from '../dom.js';
import { formatNs, formatShare, shareOf } from '../format.js';
import { type FlameRequest, flameQuery } from './flame-graph.js';

/**
 * A span's answer from `GET /v1/spans/{id}/hotspots` (CPU, CPU with children, unexplained time,
 * profile coverage, top functions) and the flame graphs one can open from it: the span, its
 * request (local root), or its whole trace.
 */
export type ProfileMode = 'span' | 'request' | 'trace';

export const profileModeFrom = (text: string | null): ProfileMode | undefined =>
  text === 'span' || text === 'request' || text === 'trace' ? text : undefined;

/**
 * The flame graph of a request: `local_root_span_id=` answers from samples labelled with the
 * local root, or — without that label (dd-trace-go ≥ 2.11) — from the root's same-service span
 * subtree, resolved by the API; either way it downloads as one pprof.
 */
export function requestFlame(rootId: string, measures?: readonly string[]): FlameRequest {
  const request = flameQuery(
    '',
    new URLSearchParams({ local_root_span_id: rootId }),
    `request-${rootId}.pprof.gz`,
    measures,
  );
  request.title = `Request of span ${rootId} (local root, spawned goroutines included)`;
  return request;
}

export function flameFor(mode: ProfileMode, body: SpanHotspotsBody): FlameRequest {
  const request = flameRequestFor(mode, body);
  if (body.profiled === false && mode !== 'trace') {
    request.empty = {
      title: 'Not profiled',
      text: `No CPU profile of ${body.span?.service ?? 'this service'} covered this span, so there is nothing to draw. Point its profiler at Hotspots (README "Pointing real clients at Hotspots").`,
    };
  }
  return request;
}

function flameRequestFor(mode: ProfileMode, body: SpanHotspotsBody): FlameRequest {
  const traceId = body.span?.trace_id ?? null;
  if (mode === 'trace' && traceId) {
    return flameQuery(
      `Whole trace ${traceId}`,
      new URLSearchParams({ trace_id: traceId }),
      `trace-${traceId}.pprof.gz`,
      body.measures,
    );
  }
  if (mode === 'request' && (body.is_local_root || body.local_root_span_id)) {
    return requestFlame(body.local_root_span_id ?? body.span_id, body.measures);
  }
  const name = body.span ? `${body.span.name} ${body.span.resource}`.trim() : 'span';
  return flameQuery(
    `Span ${body.span_id} (${name}): samples labelled with this span`,
    new URLSearchParams({ span_id: body.span_id }),
    `span-${body.span_id}.pprof.gz`,
    body.measures,
  );
}

/** Which profile modes apply to this span. */
export function availableModes(body: SpanHotspotsBody): ProfileMode[] {
  const modes: ProfileMode[] = ['span'];
  if (body.is_local_root || body.local_root_span_id) modes.push('request');
  if (body.span?.trace_id) modes.push('trace');
  return modes;
}

export function profiledText(body: SpanHotspotsBody): { text: string; state: string } {
  if (body.profiled === null) {
    return {
      state: 'unknown',
      text: 'No trace data for this span: its duration is unknown, CPU comes from profile labels only.',
    };
  }
  if (!body.profiled) {
    return {
      state: 'not-profiled',
      text: `Not profiled: no CPU profile of ${body.span?.service ?? 'this service'} covered this span, so its CPU is unknown (not 0).`,
    };
  }
  const coverage = body.profile_coverage ?? 1;
  return coverage >= 1
    ? { state: 'profiled', text: 'Profiled: a CPU profile covered the whole span.' }
    : { state: 'partly', text: `Partly profiled: CPU profiles covered ${formatShare(coverage)} of the span.` };
}

const figure = (testId: string, ns: number | null, text?: string) =>
  h(
    'dd',
    { class: 'figure', 'data-testid': testId, ...(ns === null ? {} : { 'data-ns': String(ns) }) },
    text ?? (ns === null ? '–' : formatNs(ns)),
  );

function functionsTable(caption: string, rows: FunctionCpu[], total: number, testId: string): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'functions', 'data-testid': testId },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Function'),
          h('th', { scope: 'col', class: 'num' }, 'Self'),
          h('th', { scope: 'col', class: 'num' }, 'Total'),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.slice(0, 10).map((row) =>
          h(
            'tr',
            {},
            h('td', { class: 'fn' }, row.function),
            h('td', { class: 'num', 'data-ns': String(row.self_ns) }, `${formatNs(row.self_ns)}`),
            h(
              'td',
              {
                class: 'num',
                'data-ns': String(row.total_ns),
                title: `${formatShare(shareOf(row.total_ns, total))} of the span's CPU`,
              },
              formatNs(row.total_ns),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A breakdown category as a CSS and test id slug: "Lock Wait" → "lock-wait". */
export const categorySlug = (category: string): string => category.toLowerCase().replace(/[^a-z]+/g, '-');

/**
 * Where the span's (or its request's) time went: the runtime's categories as a stacked bar and
 * figures, wall time when profiled; "not profiled" when no profile covered the span (not 0).
 */
export function breakdownPanel(breakdown: Breakdown): HTMLElement {
  const scope = breakdown.scope === 'request' ? 'this request' : 'this span';
  if (!breakdown.profiled) {
    return h(
      'section',
      { class: 'breakdown', 'data-testid': 'breakdown', 'data-profiled': 'false' },
      h('h3', {}, `Where the time of ${scope} went`),
      h('p', { class: 'muted', 'data-testid': 'breakdown-not-profiled' }, 'not profiled'),
    );
  }
  const whole = breakdown.categories.reduce((sum, c) => sum + c.ns, 0);
  const bar = h('div', { class: 'breakdown-bar', 'aria-hidden': 'true' });
  for (const c of breakdown.categories) {
    const segment = h('span', { class: `seg seg-${categorySlug(c.category)}` });
    segment.style.width = `${(shareOf(c.ns, whole) * 100).toFixed(3)}%`;
    bar.append(segment);
  }
  const rest =
    breakdown.rest_of === 'wall'
      ? 'the larger of duration and wall time, less CPU and lock wait'
      : 'duration − CPU (no wall time reported)';
  return h(
    'section',
    { class: 'breakdown', 'data-testid': 'breakdown', 'data-profiled': 'true' },
    h('h3', {}, `Where the time of ${scope} went`),
    bar,
    h(
      'dl',
      { class: 'figures inline' },
      ...breakdown.categories.map((c) =>
        h('div', {}, h('dt', {}, c.category), figure(`breakdown-${categorySlug(c.category)}`, c.ns)),
      ),
      breakdown.wall_ns === null
        ? null
        : h('div', {}, h('dt', {}, 'Wall (on its threads)'), figure('breakdown-wall', breakdown.wall_ns)),
    ),
    h('p', { class: 'muted' }, `The last category is ${rest}.`),
  );
}

export function spanDetails(
  body: SpanHotspotsBody,
  options: { active: ProfileMode; onProfile: (mode: ProfileMode) => void; extraActions?: HTMLElement[] },
): HTMLElement {
  const span = body.span;
  const profiled = profiledText(body);
  const labels: Record<ProfileMode, string> = {
    span: 'View profile: this span',
    request: 'View profile: whole request',
    trace: 'View profile: whole trace',
  };
  const actions = availableModes(body).map((mode) => {
    const button = h(
      'button',
      {
        type: 'button',
        class: `button${mode === options.active ? ' primary' : ''}`,
        'aria-pressed': String(mode === options.active),
        'data-testid': `view-profile-${mode}`,
      },
      labels[mode],
    );
    button.addEventListener('click', () => options.onProfile(mode));
    return button;
  });
  const cpuShown = body.cpu_ns_with_children ?? body.cpu_ns;
  // Without a profile over the span, its CPU (and so the unexplained rest) is unknown, not 0.
  const unknown = body.profiled === false ? 'not profiled' : undefined;
  return h(
    'section',
    { class: 'panel span-details', 'aria-labelledby': 'span-details-heading', 'data-testid': 'span-details' },
    h(
      'div',
      { class: 'panel-head' },
      h(
        'h2',
        { id: 'span-details-heading' },
        span ? `${span.service} · ${span.name}` : `Span ${body.span_id}`,
        span?.resource ? h('span', { class: 'resource' }, span.resource) : null,
      ),
    ),
    h(
      'p',
      { class: 'muted ids' },
      `span ${body.span_id}`,
      span ? ` · trace ${span.trace_id}` : '',
      body.is_local_root ? ' · local root (request)' : '',
    ),
    h(
      'dl',
      { class: 'figures' },
      h('div', {}, h('dt', {}, 'Duration'), figure('span-duration', span ? span.duration_ns : null)),
      h('div', {}, h('dt', {}, 'On CPU (this span)'), figure('span-cpu', body.cpu_ns, unknown)),
      body.cpu_ns_with_children === null
        ? null
        : h(
            'div',
            {},
            h('dt', {}, 'On CPU with children'),
            figure('span-cpu-children', body.cpu_ns_with_children, unknown),
          ),
      h(
        'div',
        {},
        h('dt', {}, 'Unexplained (off CPU)'),
        figure(
          'span-unexplained',
          body.unexplained_ns,
          body.unexplained_ns === null || unknown
            ? (unknown ?? '–')
            : `${formatNs(body.unexplained_ns)}${span ? ` · ${formatShare(shareOf(body.unexplained_ns, span.duration_ns))}` : ''}`,
        ),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Coverage'),
        h(
          'dd',
          { 'data-testid': 'span-coverage', 'data-state': profiled.state },
          body.profile_coverage === null ? '–' : formatShare(body.profile_coverage),
        ),
      ),
    ),
    h('p', { class: `profiled-state ${profiled.state}`, 'data-testid': 'span-profiled' }, profiled.text),
    body.breakdown ? breakdownPanel(body.breakdown) : null,
    span && cpuShown > span.duration_ns
      ? h('p', { class: 'muted' }, 'CPU exceeds the duration: goroutines of this request ran on several cores at once.')
      : null,
    h('p', { class: 'muted note' }, body.note),
    h('div', { class: 'actions' }, ...actions, ...(options.extraActions ?? [])),
    body.top_functions.self.length === 0
      ? null
      : h(
          'div',
          { class: 'top-functions' },
          functionsTable('Top functions by self CPU', body.top_functions.self, body.cpu_ns, 'top-self'),
          functionsTable('Top functions by total CPU', body.top_functions.total, body.cpu_ns, 'top-total'),
        ),
  );
}
