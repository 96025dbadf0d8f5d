import { type ClientRoute, matchClientRoute } from '../../shared/web/client-routes.js';

/**
 * Client-side routing with the History API. Views are `/` (service view, its state in the query
 * string so every view is a link), `/traces/<id>` and `/spans/<id>`; the serving function
 * answers those paths with index.html (shared/web/client-routes.ts).
 */
export type Route = ClientRoute | { view: 'not-found'; path: string };

export function currentRoute(): Route {
  return matchClientRoute(location.pathname) ?? { view: 'not-found', path: location.pathname };
}

const listeners = new Set<() => void>();

export function onNavigate(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const listener of listeners) listener();
}

/** Goes to a URL of this app; `replace` keeps the history entry (filters typed in a form). */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
}

/** Links with `data-link` navigate inside the app; modified clicks (new tab) keep their default. */
export function startRouter(): void {
  window.addEventListener('popstate', notify);
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-link]');
    if (!(link instanceof HTMLAnchorElement)) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href') ?? '/');
  });
}
