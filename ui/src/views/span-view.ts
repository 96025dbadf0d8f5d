import { tracePath } from '../../../shared/web/client-routes.js';
import { getJson, isAbort, type SpanHotspotsBody } from '../api.js';
import { createFlamePanel } from '../components/flame-graph.js';
import {
  availableModes,
  flameFor,
  type ProfileMode,
  profileModeFrom,
  spanDetails,
} from '../components/span-details.js';
import { errorState, loadingState } from '../components/states.js';
import { h, replaceChildren } from '../dom.js';
import { navigate } from '../router.js';
import { pageTitle, type View } from './view.js';

/** `/spans/<id>[?profile=span|request|trace]`: one span's hotspots and flame graph, by id. */
export function mountSpanView(root: HTMLElement, spanId: string): View {
  const controller = new AbortController();
  const detailsHost = h('div', { class: 'details-host' });
  const flame = createFlamePanel();
  flame.element.hidden = true;
  let body: SpanHotspotsBody | undefined;
  let shownMode = '';

  replaceChildren(
    root,
    h('div', { class: 'view-head' }, h('h1', {}, 'Span ', h('code', { class: 'id' }, spanId))),
    detailsHost,
    flame.element,
  );
  document.title = pageTitle(`Span ${spanId}`);

  const modeOf = (answer: SpanHotspotsBody): ProfileMode => {
    const requested = profileModeFrom(new URLSearchParams(location.search).get('profile'));
    return requested && availableModes(answer).includes(requested) ? requested : 'span';
  };

  function render() {
    if (!body) return;
    const answer = body;
    const mode = modeOf(answer);
    if (mode === shownMode) return;
    shownMode = mode;
    const traceId = answer.span?.trace_id;
    const extra = traceId
      ? [
          h(
            'a',
            {
              href: `${tracePath(traceId)}?span=${encodeURIComponent(answer.span_id)}`,
              'data-link': true,
              class: 'button subtle',
              'data-testid': 'open-trace',
            },
            'Open trace waterfall',
          ),
        ]
      : [];
    replaceChildren(
      detailsHost,
      spanDetails(answer, {
        active: mode,
        onProfile: (next) => navigate(`${location.pathname}?profile=${next}`, { replace: true }),
        extraActions: extra,
      }),
    );
    flame.element.hidden = false;
    flame.show(flameFor(mode, answer));
  }

  function load() {
    replaceChildren(detailsHost, loadingState(`span ${spanId}`));
    getJson<SpanHotspotsBody>(`/v1/spans/${encodeURIComponent(spanId)}/hotspots`, undefined, controller.signal).then(
      (answer) => {
        body = answer;
        render();
      },
      (error: unknown) => {
        if (!isAbort(error)) replaceChildren(detailsHost, errorState(`span ${spanId}`, error, load));
      },
    );
  }

  load();
  return {
    update: render,
    dispose() {
      controller.abort();
      flame.dispose();
    },
  };
}
