import './styles.css';
import { matchClientRoute, spanPath, tracePath } from '../../shared/web/client-routes.js';
import { keyChangedEvent, keyRefusedEvent, storedApiKey } from './api.js';
import { openKeyDialog } from './components/key-dialog.js';
import { h, replaceChildren } from './dom.js';
import { currentRoute, navigate, onNavigate, type Route, startRouter } from './router.js';
import { mountCompareView } from './views/compare-view.js';
import { mountServiceView } from './views/service-view.js';
import { mountSpanView } from './views/span-view.js';
import { mountTraceView } from './views/trace-view.js';
import { pageTitle, type View } from './views/view.js';

/** The app shell: header (home, open a trace or span by id, API key) and the routed view. */
function keyButton(): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'button key-button', 'data-testid': 'key-button' });
  const sync = (refused = false) => {
    const hasKey = storedApiKey() !== null;
    button.textContent = !hasKey ? 'Set API key' : refused ? 'API key refused' : 'API key ✓';
    button.classList.toggle('primary', !hasKey || refused);
  };
  sync();
  window.addEventListener(keyChangedEvent, () => sync());
  window.addEventListener(keyRefusedEvent, () => sync(true));
  button.addEventListener('click', openKeyDialog);
  return button;
}

function openForm(): HTMLFormElement {
  const kind = h(
    'select',
    { 'aria-label': 'Kind of id', 'data-testid': 'open-kind' },
    h('option', { value: 'trace' }, 'Trace'),
    h('option', { value: 'span' }, 'Span'),
  );
  const input = h('input', {
    type: 'text',
    name: 'id',
    placeholder: 'trace or span id',
    'aria-label': 'Trace or span id (decimal or hex)',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'data-testid': 'open-id',
  });
  const form = h(
    'form',
    { class: 'open-id', role: 'search' },
    kind,
    input,
    h('button', { type: 'submit', class: 'button' }, 'Open'),
  );
  input.addEventListener('input', () => input.setCustomValidity(''));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const path = kind.value === 'trace' ? tracePath(input.value) : spanPath(input.value);
    if (!matchClientRoute(path)) {
      input.setCustomValidity('Ids are decimal or hexadecimal digits (16 or 32 hex for traces)');
      input.reportValidity();
      return;
    }
    input.value = '';
    navigate(path);
  });
  return form;
}

function notFound(root: HTMLElement, path: string): View {
  document.title = pageTitle('Not found');
  replaceChildren(
    root,
    h(
      'div',
      { class: 'state empty' },
      h('h1', {}, 'Nothing here'),
      h(
        'p',
        {},
        `The UI has no page at ${path}. `,
        h('a', { href: '/', 'data-link': true }, 'Go to the service view'),
        '.',
      ),
    ),
  );
  return { update() {}, dispose() {} };
}

const viewKey = (route: Route) =>
  route.view === 'trace' ? `trace:${route.traceId}` : route.view === 'span' ? `span:${route.spanId}` : route.view;

function start() {
  const app = document.getElementById('app');
  if (!app) return;
  const main = h('main', { id: 'main', tabindex: '-1' });
  replaceChildren(
    app,
    h(
      'header',
      { class: 'top' },
      h(
        'a',
        { href: '/', 'data-link': true, class: 'brand' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }),
        'Hotspots',
      ),
      openForm(),
      keyButton(),
    ),
    main,
  );

  let view: View | undefined;
  let key = '';
  const mount = (force = false) => {
    const route = currentRoute();
    const nextKey = viewKey(route);
    if (view && nextKey === key && !force) {
      view.update();
      return;
    }
    const first = view === undefined;
    view?.dispose();
    key = nextKey;
    view =
      route.view === 'service'
        ? mountServiceView(main)
        : route.view === 'compare'
          ? mountCompareView(main)
          : route.view === 'trace'
            ? mountTraceView(main, route.traceId)
            : route.view === 'span'
              ? mountSpanView(main, route.spanId)
              : notFound(main, route.path);
    if (!first) {
      // A new page: start at its top, and let screen readers and keyboards start there too.
      window.scrollTo(0, 0);
      main.focus({ preventScroll: true });
    }
  };
  startRouter();
  onNavigate(() => mount());
  window.addEventListener(keyChangedEvent, () => mount(true));
  mount();
  if (storedApiKey() === null) openKeyDialog();
}

start();
