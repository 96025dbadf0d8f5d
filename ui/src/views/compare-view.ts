import { getJson } from '../api.js';
import type { ChangesBody } from '../api-answers.js';
import { emptyState, errorState, loadingState } from '../components/states.js';
import { h, replaceChildren } from '../dom.js';
import { formatNs } from '../format.js';
import { navigate } from '../router.js';
import { rangeFromQuery, resolveRange } from '../time-range.js';
import { pageTitle, type View } from './view.js';

/**
 * The Compare view (`/compare?service=&a.version=&b.version=[&endpoint=]`): the combined diff flame
 * graph of `GET /v1/flamegraph/diff`, each frame as wide as A + B and coloured by where its CPU
 * went: red = more in B, green = less in B, blue = only in A, purple = only in B, grey = the same.
 * Without versions it compares the service's latest version with the one before (`GET /v1/changes`).
 */
interface DiffFrame {
  name: string;
  a_total: number;
  b_total: number;
  diff_total: number;
  a_self: number;
  b_self: number;
  /** A + B and B − A on the asked scale (absolute, per request or share). */
  value: number;
  delta: number;
  only?: 'a' | 'b';
  children: DiffFrame[];
}
interface DiffBody {
  a: { total_value: number };
  b: { total_value: number };
  tree: DiffFrame;
}

const MAX_NODES = '800';
const ROW_PX = 18;

export function frameKind(frame: DiffFrame): 'only-a' | 'only-b' | 'more' | 'less' | 'same' {
  if (frame.only === 'a') return 'only-a';
  if (frame.only === 'b') return 'only-b';
  return frame.delta > 0 ? 'more' : frame.delta < 0 ? 'less' : 'same';
}

const legendItems: [string, string][] = [
  ['more', 'more CPU in B'],
  ['less', 'less CPU in B'],
  ['only-a', 'only in A'],
  ['only-b', 'only in B'],
  ['same', 'unchanged'],
];

/** An icicle of the diff tree, frames as wide as `widthOf` says (frames of width 0 are left out). */
function drawFrames(root: DiffFrame, widthOf: (frame: DiffFrame) => number, testId: string): HTMLElement {
  const chart = h('div', { class: 'diff-chart', 'data-testid': testId });
  const width = widthOf(root);
  let depth = 0;
  const draw = (frame: DiffFrame, left: number, level: number, path: string) => {
    const frameWidth = widthOf(frame);
    if (frameWidth <= 0) return;
    depth = Math.max(depth, level + 1);
    const kind = frameKind(frame);
    const sign = frame.diff_total > 0 ? '+' : '';
    const element = h(
      'div',
      {
        class: `diff-frame diff-${kind}`,
        'data-testid': 'diff-frame',
        'data-path': path,
        'data-a': String(frame.a_total),
        'data-b': String(frame.b_total),
        'data-diff': String(frame.diff_total),
        'data-kind': kind,
        'data-value': String(frame.value),
        'data-delta': String(frame.delta),
        title: `${frame.name}\nA ${formatNs(frame.a_total)} · B ${formatNs(frame.b_total)} · ${sign}${formatNs(frame.diff_total)}`,
      },
      frame.name,
    );
    element.style.left = `${(left / width) * 100}%`;
    element.style.width = `${(frameWidth / width) * 100}%`;
    element.style.top = `${level * ROW_PX}px`;
    chart.append(element);
    let at = left;
    for (const child of frame.children) {
      draw(child, at, level + 1, `${path};${child.name}`);
      at += widthOf(child);
    }
  };
  if (width > 0) draw(root, 0, 0, root.name);
  chart.style.height = `${depth * ROW_PX}px`;
  return chart;
}

/** Combined (one graph, A + B wide) or side by side (A's graph and B's, each as wide as its CPU). */
function drawDiff(diff: DiffBody, layout: string): HTMLElement {
  if (layout !== 'side-by-side') return drawFrames(diff.tree, (f) => f.value, 'diff-chart');
  return h(
    'div',
    { class: 'diff-sides' },
    h(
      'div',
      {},
      h('h3', {}, 'A'),
      drawFrames(diff.tree, (f) => f.a_total, 'diff-chart-a'),
    ),
    h(
      'div',
      {},
      h('h3', {}, 'B'),
      drawFrames(diff.tree, (f) => f.b_total, 'diff-chart-b'),
    ),
  );
}

function layoutChoice(query: URLSearchParams): HTMLElement {
  const select = h(
    'select',
    { 'aria-label': 'Layout', 'data-testid': 'compare-layout' },
    ...[
      ['combined', 'Combined'],
      ['side-by-side', 'Side by side'],
    ].map(([value, text]) => h('option', { value, selected: (query.get('layout') ?? 'combined') === value }, text)),
  );
  select.addEventListener('change', () => {
    const next = new URLSearchParams(query);
    next.set('layout', select.value);
    navigate(`/compare?${next}`, { replace: true });
  });
  return h('label', { class: 'compare-normalize' }, ' Layout ', select);
}

const scales: [string, string][] = [
  ['absolute', 'CPU'],
  ['per_request', 'CPU per request'],
  ['share', 'share of each side'],
];

function normalizeChoice(query: URLSearchParams): HTMLElement {
  const select = h(
    'select',
    { 'aria-label': 'Compare by', 'data-testid': 'compare-normalize' },
    ...scales.map(([value, text]) =>
      h('option', { value, selected: (query.get('normalize') ?? 'absolute') === value }, text),
    ),
  );
  select.addEventListener('change', () => {
    const next = new URLSearchParams(query);
    next.set('normalize', select.value);
    navigate(`/compare?${next}`, { replace: true });
  });
  return h('label', { class: 'compare-normalize' }, 'Compare by ', select);
}

export function mountCompareView(root: HTMLElement): View {
  const body = h('div', { class: 'view-body' });
  replaceChildren(root, h('h1', {}, 'Compare'), body);
  let controller: AbortController | undefined;

  const show = async () => {
    controller?.abort();
    const ownController = new AbortController();
    controller = ownController;
    const signal = ownController.signal;
    const query = new URLSearchParams(location.search);
    const service = query.get('service') ?? '';
    document.title = pageTitle(`Compare ${service}`);
    if (!service) {
      replaceChildren(body, emptyState('No service', 'Open Compare from a service’s deploy report.'));
      return;
    }
    const period = resolveRange(rangeFromQuery(query), Date.now() / 1000);
    const windowParams = new URLSearchParams({ service, from: String(period.from), to: String(period.to) });
    replaceChildren(body, loadingState('diff flame graph'));
    try {
      if (!query.has('a.version') && !query.has('b.version')) {
        const report = await getJson<ChangesBody>('/v1/changes', windowParams, signal);
        const last = report.changes.at(-1);
        if (!last) {
          replaceChildren(body, emptyState('No version change', 'This window holds one version only.'));
          return;
        }
        query.set('a.version', last.from_version);
        query.set('b.version', last.to_version);
        navigate(`/compare?${query}`, { replace: true });
        return;
      }
      const params = new URLSearchParams(windowParams);
      for (const [name, value] of query) if (/^[ab]\.|^endpoint$|^normalize$/.test(name)) params.append(name, value);
      params.set('max_nodes', MAX_NODES);
      const diff = await getJson<DiffBody>('/v1/flamegraph/diff', params, signal);
      if (signal.aborted) return;
      const describe = (side: 'a' | 'b') =>
        [...query]
          .filter(([n]) => n.startsWith(`${side}.`))
          .map(([n, v]) => `${n.slice(2)} ${v}`)
          .join(', ');
      replaceChildren(
        body,
        h(
          'p',
          { 'data-testid': 'compare-title' },
          `${service}${query.getAll('endpoint').length > 0 ? ` · ${query.getAll('endpoint').join(', ')}` : ''}: `,
          h('strong', {}, `A = ${describe('a')}`),
          ' (',
          h(
            'span',
            { 'data-testid': 'compare-a-total', 'data-ns': String(diff.a.total_value) },
            formatNs(diff.a.total_value),
          ),
          ') vs ',
          h('strong', {}, `B = ${describe('b')}`),
          ' (',
          h(
            'span',
            { 'data-testid': 'compare-b-total', 'data-ns': String(diff.b.total_value) },
            formatNs(diff.b.total_value),
          ),
          ')',
        ),
        h(
          'ul',
          { class: 'diff-legend', 'data-testid': 'diff-legend' },
          ...legendItems.map(([kind, text]) =>
            h('li', {}, h('span', { class: `diff-swatch diff-${kind}`, 'aria-hidden': 'true' }), text),
          ),
        ),
        h('p', {}, normalizeChoice(query), layoutChoice(query)),
        h(
          'p',
          { class: 'muted' },
          'Combined: frame width A + B on the chosen scale. Side by side: each side as wide as its CPU (absolute). Hover a frame for both CPU figures.',
        ),
        drawDiff(diff, query.get('layout') ?? 'combined'),
      );
    } catch (error) {
      if (!signal.aborted)
        replaceChildren(
          body,
          errorState('diff flame graph', error, () => void show()),
        );
    }
  };
  void show();
  return {
    update() {
      void show();
    },
    dispose() {
      controller?.abort();
    },
  };
}
