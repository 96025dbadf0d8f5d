import { comparePath } from '../../../../shared/web/client-routes.js';
import type { ChangesBody } from '../../api-answers.js';
import { emptyState } from '../../components/states.js';
import { h, replaceChildren } from '../../dom.js';
import { formatNs, formatShare } from '../../format.js';

/**
 * "Deploy report": for each version change of the window (`GET /v1/changes`), each endpoint's CPU
 * per request (or share) before and after, with the requests behind each figure, whether the
 * change exceeds the noise, and the function whose CPU per request moved most.
 */
export interface ChangesPanel {
  element: HTMLElement;
  body: HTMLElement;
  render(answer: ChangesBody): void;
}

type Change = ChangesBody['changes'][number];
type EndpointChange = Change['endpoints'][number];

const figureText = (basis: EndpointChange['basis'], value: number) =>
  basis === 'cpu_per_request' ? `${formatNs(value)}/req` : formatShare(value);

function endpointRow(service: string, change: Change, e: EndpointChange): HTMLTableRowElement {
  const top = e.functions[0];
  const side = (which: 'before' | 'after') => {
    const f = e[which];
    return h(
      'td',
      {
        class: 'num',
        'data-testid': `change-${which}`,
        'data-value': String(f.value),
        title: `${f.requests ?? 'no'} requests, ${f.profiles} profiles, CPU ${formatNs(f.cpu_ns)} ± ${figureText(e.basis, f.sampling_error)}`,
      },
      figureText(e.basis, f.value),
      h('span', { class: 'muted' }, ` (${f.requests ?? '–'} req)`),
    );
  };
  return h(
    'tr',
    {
      'data-testid': 'change-row',
      'data-endpoint': e.endpoint,
      'data-status': e.status,
      'data-change': `${change.from_version}→${change.to_version}`,
    },
    h('td', { class: 'mono nowrap' }, `${change.from_version} → ${change.to_version}`),
    h('td', { class: 'mono' }, e.endpoint),
    side('before'),
    side('after'),
    h(
      'td',
      { class: 'num', 'data-testid': 'change-relative', 'data-value': String(e.relative_change ?? '') },
      e.relative_change === null ? '–' : `${e.relative_change > 0 ? '+' : ''}${(e.relative_change * 100).toFixed(1)} %`,
    ),
    h('td', { class: `change-status status-${e.status}`, 'data-testid': 'change-status' }, e.status),
    h(
      'td',
      { class: 'mono', 'data-testid': 'change-function', 'data-value': top ? String(top.delta_self) : '' },
      top ? `${top.function} (${top.delta_self > 0 ? '+' : ''}${figureText(e.basis, top.delta_self)})` : '',
    ),
    h(
      'td',
      {},
      h(
        'a',
        {
          href: comparePath(
            new URLSearchParams({
              service,
              'a.version': change.from_version,
              'b.version': change.to_version,
              endpoint: e.endpoint,
            }),
          ),
          'data-link': '',
          'data-testid': 'change-compare',
        },
        'Compare',
      ),
    ),
  );
}

export function createChangesPanel(): ChangesPanel {
  const body = h('div', { class: 'panel-body' });
  const element = h(
    'section',
    { class: 'panel changes-panel', 'aria-labelledby': 'changes-heading', 'data-testid': 'changes' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'changes-heading' }, 'Deploy report')),
    body,
  );
  return {
    element,
    body,
    render(answer) {
      if (answer.changes.length === 0) {
        const only = answer.versions.map((v) => v.version).join(', ') || 'none';
        replaceChildren(body, emptyState('No version change', `Versions in this window: ${only}.`));
        return;
      }
      const moved = answer.changes.flatMap((c) => [
        ...c.appeared.map((a) => `${a.endpoint} appeared in ${c.to_version}`),
        ...c.vanished.map((v) => `${v.endpoint} vanished in ${c.to_version}`),
      ]);
      replaceChildren(
        body,
        h('p', { class: 'muted' }, `Noise rule: ${answer.rule}.`),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'changes', 'data-testid': 'changes-table' },
            h('caption', { class: 'visually-hidden' }, 'CPU per request before and after each version change'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Change', 'Endpoint', 'Before', 'After', 'Δ', 'Status', 'Function that moved most', ''].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h('tbody', {}, ...answer.changes.flatMap((c) => c.endpoints.map((e) => endpointRow(answer.service, c, e)))),
          ),
        ),
        moved.length > 0 ? h('ul', { 'data-testid': 'changes-moved' }, ...moved.map((m) => h('li', {}, m))) : null,
      );
    },
  };
}
