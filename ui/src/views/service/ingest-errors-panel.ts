import type { IngestErrorsBody } from '../../api-answers.js';
import { emptyState } from '../../components/states.js';
import { h, replaceChildren } from '../../dom.js';
import { formatClock } from '../../format.js';

/**
 * "Ingest errors": the latest profiles of the service that the consumer refused
 * (`GET /v1/ingest-errors?service=`), each with its reason and time, so a profile missing from
 * the figures above is explained here rather than silently absent.
 */
export interface IngestErrorsPanel {
  element: HTMLElement;
  /** Where the list goes, and meanwhile its loading or error state. */
  body: HTMLElement;
  render(answer: IngestErrorsBody, service: string | null): void;
}

function errorRow(error: IngestErrorsBody['errors'][number], withService: boolean): HTMLTableRowElement {
  const time = Date.parse(error.failed_at);
  return h(
    'tr',
    { 'data-testid': 'ingest-error-row', 'data-profile-id': error.profile_id },
    h(
      'td',
      { class: 'nowrap', 'data-testid': 'ingest-error-time', 'data-time': error.failed_at },
      h('time', { datetime: error.failed_at, title: new Date(time).toISOString() }, formatClock(time)),
    ),
    withService ? h('td', { class: 'mono' }, error.service) : null,
    h('td', { class: 'mono nowrap', 'data-testid': 'ingest-error-code' }, error.reason.code),
    h('td', { class: 'ingest-error-message', 'data-testid': 'ingest-error-message' }, error.reason.message),
    h('td', { class: 'mono profile-id', 'data-testid': 'ingest-error-profile' }, error.profile_id),
  );
}

export function createIngestErrorsPanel(): IngestErrorsPanel {
  const body = h('div', { class: 'panel-body' });
  const element = h(
    'section',
    { class: 'panel ingest-errors-panel', 'aria-labelledby': 'ingest-errors-heading', 'data-testid': 'ingest-errors' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'ingest-errors-heading' }, 'Ingest errors')),
    body,
  );
  return {
    element,
    body,
    render(answer, service) {
      const who = service ?? 'this tenant';
      if (answer.errors.length === 0) {
        replaceChildren(
          body,
          emptyState(
            'No ingest errors',
            `No profile of ${who} was refused since ${formatClock(Date.parse(answer.since))}.`,
          ),
        );
        return;
      }
      const withService = service === null;
      replaceChildren(
        body,
        h(
          'p',
          { class: 'muted' },
          `Profiles of ${who} that were accepted but could not be processed, newest first. No figure counts them; GET /v1/profiles/<profile id> gives the same reason.`,
        ),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'ingest-errors', 'data-testid': 'ingest-errors-table' },
            h('caption', { class: 'visually-hidden' }, 'Refused profiles, newest first'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Time'),
                withService ? h('th', { scope: 'col' }, 'Service') : null,
                h('th', { scope: 'col' }, 'Reason'),
                h('th', { scope: 'col' }, 'Message'),
                h('th', { scope: 'col' }, 'Profile id'),
              ),
            ),
            h('tbody', {}, ...answer.errors.map((error) => errorRow(error, withService))),
          ),
        ),
        answer.truncated ? h('p', { class: 'muted' }, 'Only the latest errors are listed.') : null,
      );
    },
  };
}
