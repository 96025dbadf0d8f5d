import flamegraph, { type FlameGraph, type FlameHierarchyNode, tooltip } from 'd3-flame-graph';
import { select } from 'd3-selection';
import { getBlob, getJson, isAbort } from '../api.js';
import { escapeHtml, h, replaceChildren } from '../dom.js';
import { type FlameBody, type FlameNode, matchedTotal } from '../flame-tree.js';
import { formatShare, formatValue, measureLabel, shareOf } from '../format.js';
import { emptyState, errorState, loadingState } from './states.js';

/**
 * The flame graph panel: d3-flame-graph drawing `GET /v1/flamegraph` (click or Enter to zoom,
 * search to highlight, tooltips with total/self and share, reset), plus the same selection as a
 * pprof download (format=pprof, which `go tool pprof` opens).
 */
export interface FlameLoaded {
  body: FlameBody;
  /** The same selection as a `GET /v1/flamegraph` query, offered as a pprof download. */
  download?: { params: URLSearchParams; name: string };
  /** Said under the title (e.g. how a request's tree was assembled). */
  note?: string;
}

export interface FlameRequest {
  title: string;
  /** The measures the picker offers (those the selection's profiles hold); CPU when absent. */
  measures?: readonly string[];
  load(signal: AbortSignal, measure: string): Promise<FlameLoaded>;
  /** What to say when the selection has no CPU samples (default: widen the window, check labels). */
  empty?: { title: string; text: string };
}

/** The flame graph of one `GET /v1/flamegraph` query, in the measure the picker holds. */
export function flameQuery(
  title: string,
  params: URLSearchParams,
  downloadName: string,
  measures?: readonly string[],
): FlameRequest {
  return {
    title,
    ...(measures ? { measures } : {}),
    load: async (signal, measure) => {
      const query = new URLSearchParams(params);
      if (measure !== 'cpu') query.set('measure', measure);
      const name =
        measure === 'cpu'
          ? downloadName
          : downloadName.replace(/\.pprof\.gz$/, `-${measure.replace('/', '-')}.pprof.gz`);
      return { body: await getJson<FlameBody>('/v1/flamegraph', query, signal), download: { params: query, name } };
    },
  };
}

/** The picker's choices: CPU first (always there to ask for), then the selection's other measures. */
export function measureChoices(measures: readonly string[] | undefined): string[] {
  return ['cpu', ...(measures ?? []).filter((m) => m !== 'cpu')];
}

export interface FlamePanel {
  element: HTMLElement;
  show(request: FlameRequest): void;
  dispose(): void;
}

type Node = FlameHierarchyNode<FlameNode>;

type Format = (value: number) => string;

function describe(node: Node, total: number, format: Format): string {
  const { name, value, self } = node.data;
  return `${name} — total ${format(value)} (${formatShare(shareOf(value, total))}), self ${format(self)} (${formatShare(shareOf(self, total))})`;
}

function tooltipHtml(node: Node, total: number, format: Format): string {
  const { name, value, self } = node.data;
  return [
    `<div class="tip-name">${escapeHtml(name)}</div>`,
    `<div>Total <b>${escapeHtml(format(value))}</b> · ${formatShare(shareOf(value, total))} of all</div>`,
    `<div>Self <b>${escapeHtml(format(self))}</b> · ${formatShare(shareOf(self, total))} of all</div>`,
    node.parent
      ? `<div class="tip-muted">${formatShare(shareOf(value, node.parent.data.value))} of its caller</div>`
      : '',
  ].join('');
}

export function createFlamePanel(options: { heading?: string } = {}): FlamePanel {
  const title = h('p', { class: 'flame-title', 'data-testid': 'flame-title' });
  const note = h('p', { class: 'muted flame-note', 'data-testid': 'flame-note' });
  const total = h('span', { class: 'figure', 'data-testid': 'flame-total' }, '…');
  const totalLabel = h('span', { 'data-testid': 'flame-measure-label' }, 'CPU');
  const picker = h('select', {
    'aria-label': 'Measure shown in the flame graph',
    'data-testid': 'flame-measure',
    class: 'measure-picker',
  }) as HTMLSelectElement;
  const nodes = h('span', { class: 'muted', 'data-testid': 'flame-nodes' });
  const details = h(
    'p',
    { class: 'flame-details', 'aria-live': 'polite', 'data-testid': 'flame-details' },
    'Hover or focus a frame for its value; click or press Enter to zoom.',
  );
  const search = h('input', {
    type: 'search',
    id: `flame-search-${Math.random().toString(36).slice(2, 8)}`,
    placeholder: 'Search functions',
    'aria-label': 'Search functions in the flame graph',
    'data-testid': 'flame-search',
  });
  const reset = h(
    'button',
    { type: 'button', class: 'button', disabled: true, 'data-testid': 'flame-reset' },
    'Reset zoom',
  );
  const download = h(
    'button',
    { type: 'button', class: 'button', disabled: true, 'data-testid': 'flame-download' },
    'Download pprof',
  );
  const chartArea = h('div', { class: 'flame-chart', 'data-testid': 'flame-chart' });
  const element = h(
    'section',
    { class: 'panel flame-panel', 'aria-label': options.heading ?? 'Flame graph' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, options.heading ?? 'Flame graph'),
      h('div', { class: 'flame-stats' }, totalLabel, ' ', total, ' ', nodes),
    ),
    title,
    note,
    h('div', { class: 'toolbar' }, picker, search, reset, download),
    details,
    chartArea,
  );

  let chart: FlameGraph<FlameNode> | undefined;
  let rootTotal = 0;
  let tree: FlameNode | undefined;
  let controller: AbortController | undefined;
  let downloadable: FlameLoaded['download'];
  let emptyHint: FlameRequest['empty'];
  let searchTimer: number | undefined;
  let lastWidth = 0;
  let current: FlameRequest | undefined;
  let measure = 'cpu';
  let format: Format = (value) => formatValue(value, 'nanoseconds');

  const defaultDetails = () => {
    const term = search.value.trim();
    if (term && tree) {
      const matched = matchedTotal(tree, term);
      details.textContent = `Search “${term}”: ${format(matched)} of ${measureLabel(measure)} (${formatShare(shareOf(matched, rootTotal))}) in matching functions`;
    } else {
      details.textContent = 'Hover or focus a frame for its value; click or press Enter to zoom.';
    }
  };

  /** Frames wide enough to read get a tab stop, a role and a label (SVG frames have none). */
  const refreshFrames = () => {
    for (const frame of chartArea.querySelectorAll<SVGGElement>('g.frame')) {
      const width = Number(frame.querySelector('foreignObject')?.getAttribute('width') ?? 0);
      const node = select<SVGGElement, Node>(frame).datum();
      if (width >= 35 && node && !node.data.hide) {
        frame.setAttribute('tabindex', '0');
        frame.setAttribute('role', 'button');
        frame.setAttribute('aria-label', describe(node, rootTotal, format));
      } else {
        frame.removeAttribute('tabindex');
        frame.removeAttribute('role');
        frame.removeAttribute('aria-label');
      }
    }
  };

  const chartWidth = () => Math.max(280, Math.floor(chartArea.clientWidth || 800));

  const resizeObserver = new ResizeObserver(() => {
    const width = chartWidth();
    if (!chart || Math.abs(width - lastWidth) < 4) return;
    lastWidth = width;
    chart.width(width).update();
    refreshFrames();
  });
  resizeObserver.observe(chartArea);

  const destroyChart = () => {
    chart?.destroy();
    chart = undefined;
  };

  function render(loaded: FlameLoaded) {
    const { body } = loaded;
    destroyChart();
    downloadable = loaded.download;
    download.disabled = downloadable === undefined;
    download.title = downloadable
      ? 'The same selection as a gzipped pprof profile (go tool pprof opens it)'
      : 'This flame graph is assembled in the browser from several queries: download the spans one by one';
    if (loaded.note) note.textContent = loaded.note;
    tree = body.tree;
    rootTotal = body.total_value;
    format = (value) => formatValue(value, body.unit);
    totalLabel.textContent = measureLabel(body.measure);
    total.dataset.measure = body.measure;
    total.textContent = format(body.total_value);
    total.dataset.ns = String(body.total_value);
    nodes.textContent = `· ${body.node_count} frames${body.truncated ? ' (smallest folded into “(other)”)' : ''}`;
    if (body.total_value === 0) {
      download.disabled = true;
      const empty = emptyHint ?? {
        title: `No ${measureLabel(body.measure)} samples for this selection`,
        text: 'No profile sample carries these labels in this window. Widen the time range, tick other endpoints, or check that the profiler labels samples (README "Labels").',
      };
      replaceChildren(chartArea, emptyState(empty.title, empty.text));
      return;
    }
    replaceChildren(chartArea);
    lastWidth = chartWidth();
    const tip = tooltip.defaultFlamegraphTooltip<FlameNode>().html((node) => tooltipHtml(node, rootTotal, format));
    chart = flamegraph<FlameNode>()
      .width(lastWidth)
      .cellHeight(20)
      .inverted(true)
      .minFrameSize(1)
      .transitionDuration(matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 250)
      .tooltip(tip)
      .setSearchMatch((node, term) => term !== '' && node.data.name.toLowerCase().includes(term.toLowerCase()))
      .setSearchHandler(() => defaultDetails())
      .setDetailsHandler((text) => {
        if (text === null) defaultDetails();
      })
      .onHover((node) => {
        details.textContent = describe(node, rootTotal, format);
      })
      .onClick((node) => {
        reset.disabled = node.parent === null;
        details.textContent = node.parent === null ? 'Zoom reset.' : `Zoomed into ${describe(node, rootTotal, format)}`;
        refreshFrames();
      });
    select<HTMLElement, FlameNode>(chartArea).datum(body.tree).call(chart);
    if (search.value.trim()) chart.search(search.value.trim());
    refreshFrames();
  }

  chartArea.addEventListener('keydown', (event) => {
    const frame = (event.target as Element).closest?.('g.frame');
    if (event.key === 'Escape' && chart && !reset.disabled) {
      chart.resetZoom();
      event.preventDefault();
      return;
    }
    if (!frame || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    frame.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    // Frames are redrawn on zoom: keep focus on the same function.
    (frame as SVGGElement).focus();
  });
  chartArea.addEventListener('focusin', (event) => {
    const frame = (event.target as Element).closest?.('g.frame');
    if (!frame) return;
    const node = select<Element, Node>(frame).datum();
    if (node) details.textContent = describe(node, rootTotal, format);
  });

  picker.addEventListener('change', () => {
    measure = picker.value;
    if (current) load(current);
  });

  reset.addEventListener('click', () => {
    chart?.resetZoom();
    reset.disabled = true;
  });

  search.addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      const term = search.value.trim();
      if (!chart) return;
      if (term) chart.search(term);
      else chart.clear();
      defaultDetails();
      refreshFrames();
    }, 150);
  });

  download.addEventListener('click', async () => {
    const target = downloadable;
    if (!target) return;
    const params = new URLSearchParams(target.params);
    params.set('format', 'pprof');
    const label = download.textContent;
    download.disabled = true;
    download.textContent = 'Preparing…';
    try {
      const blob = await getBlob('/v1/flamegraph', params);
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: target.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      details.textContent = `Downloaded ${target.name}: open it with go tool pprof -http=: ${target.name}`;
    } catch (error) {
      details.textContent = `Download failed: ${(error as Error).message}`;
    } finally {
      download.textContent = label;
      download.disabled = false;
    }
  });

  /** Fills the picker with the request's measures, keeping the chosen one where it is offered. */
  function offer(request: FlameRequest) {
    const choices = measureChoices(request.measures);
    if (!choices.includes(measure)) measure = 'cpu';
    replaceChildren(
      picker,
      ...choices.map((m) => h('option', { value: m, ...(m === measure ? { selected: true } : {}) }, measureLabel(m))),
    );
    picker.value = measure;
    picker.disabled = choices.length < 2;
  }

  function load(request: FlameRequest) {
    current = request;
    offer(request);
    controller?.abort();
    const ours = new AbortController();
    controller = ours;
    destroyChart();
    tree = undefined;
    downloadable = undefined;
    emptyHint = request.empty;
    title.textContent = request.title;
    note.textContent = '';
    total.textContent = '…';
    delete total.dataset.ns;
    nodes.textContent = '';
    reset.disabled = true;
    download.disabled = true;
    replaceChildren(chartArea, loadingState('the flame graph'));
    request.load(ours.signal, measure).then(
      (loaded) => {
        if (controller === ours) render(loaded);
      },
      (error: unknown) => {
        if (isAbort(error) || controller !== ours) return;
        total.textContent = '–';
        replaceChildren(
          chartArea,
          errorState('the flame graph', error, () => load(request)),
        );
      },
    );
  }

  return {
    element,
    show: load,
    dispose() {
      controller?.abort();
      resizeObserver.disconnect();
      window.clearTimeout(searchTimer);
      destroyChart();
    },
  };
}
