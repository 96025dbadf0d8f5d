/**
 * The paths the web UI routes in the browser (History API). The UI builds its links with these
 * functions and the serving function answers exactly these paths with index.html, so a reload or
 * a shared link to `/traces/<id>` opens the same view, while any other unknown path stays a 404.
 * No DOM and no Node imports: ui/src and shared/web both use it.
 */
export type ClientRoute =
  | { view: 'service' }
  | { view: 'compare' }
  | { view: 'trace'; traceId: string }
  | { view: 'span'; spanId: string };

/** Trace and span ids as the API reads them: decimal, hex (16 or 32 digits) or 0x-prefixed. */
const ID = /^(?:0x)?[0-9A-Za-z]{1,40}$/;

export function matchClientRoute(path: string): ClientRoute | undefined {
  if (path === '/' || path === '/index.html') return { view: 'service' };
  if (path === '/compare' || path === '/compare/') return { view: 'compare' };
  const match = /^\/(traces|spans)\/([^/]+)\/?$/.exec(path);
  const kind = match?.[1];
  const id = match?.[2];
  if (kind === undefined || id === undefined || !ID.test(id)) return undefined;
  return kind === 'traces' ? { view: 'trace', traceId: id } : { view: 'span', spanId: id };
}

export const tracePath = (traceId: string) => `/traces/${encodeURIComponent(traceId.trim())}`;
export const spanPath = (spanId: string) => `/spans/${encodeURIComponent(spanId.trim())}`;

/** The Compare view of two selections (`a.version=`/`b.version=`, …: the diff route's parameters). */
export const comparePath = (query: URLSearchParams) => `/compare?${query}`;
