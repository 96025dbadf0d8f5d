import type { SeriesBody } from '../../api-answers.js';
import { emptyState } from '../../components/states.js';
import { createTimeseriesChart } from '../../components/timeseries-chart.js';
import { h, replaceChildren, uniqueId } from '../../dom.js';
import type { ServiceState } from '../../service-state.js';

type GroupBy = ServiceState['groupBy'];

/**
 * "CPU over time": the chart of `GET /v1/endpoints/timeseries` and the switch grouping it by
 * endpoint or by version. Switching reports the grouping; the view answers with the new series.
 */
export interface SeriesPanelOptions {
  onGroupBy(groupBy: GroupBy): void;
}

export interface SeriesPanel {
  element: HTMLElement;
  /** Where the chart goes, and meanwhile its loading or error state. */
  body: HTMLElement;
  /** Draws one answer. */
  render(answer: SeriesBody): void;
  /** Checks the switch's button of this grouping. */
  group(groupBy: GroupBy): void;
  /** Marks when each version was first seen, along the window [from, to] (seconds). */
  markVersions(versions: { version: string; first_seen: string }[], window: { from: number; to: number }): void;
  dispose(): void;
}

export function createSeriesPanel(options: SeriesPanelOptions): SeriesPanel {
  const chart = createTimeseriesChart();
  const body = h('div', { class: 'panel-body' });
  const groupName = uniqueId('group');
  const groupRadio = (value: GroupBy, label: string) => {
    const id = `${groupName}-${value}`;
    const input = h('input', { type: 'radio', name: groupName, id, value, 'data-testid': `group-${value}` });
    input.addEventListener('change', () => {
      if (input.checked) options.onGroupBy(value);
    });
    return [input, h('label', { for: id }, label)];
  };
  const groupSwitch = h(
    'fieldset',
    { class: 'segmented' },
    h('legend', { class: 'visually-hidden' }, 'Group CPU over time by'),
    ...groupRadio('endpoint', 'By endpoint'),
    ...groupRadio('version', 'By version'),
  );
  const versionTrack = h('div', { class: 'version-track', 'data-testid': 'version-markers', hidden: true });
  const element = h(
    'section',
    { class: 'panel series-panel', 'aria-labelledby': 'series-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'series-heading' }, 'CPU over time'), groupSwitch),
    body,
    versionTrack,
  );

  return {
    element,
    body,
    render(answer) {
      if (answer.series.length === 0) {
        replaceChildren(
          body,
          emptyState('No CPU over time', 'Nothing was sampled in this time range for this selection.'),
        );
        return;
      }
      replaceChildren(body, chart.element);
      chart.render(answer);
    },
    group(groupBy) {
      for (const radio of groupSwitch.querySelectorAll<HTMLInputElement>('input[type=radio]')) {
        radio.checked = radio.value === groupBy;
      }
    },
    markVersions(versions, window) {
      const span = window.to - window.from;
      const markers = versions
        .map((v) => ({ ...v, at: Date.parse(v.first_seen) / 1000 }))
        .filter((v) => span > 0 && v.at >= window.from && v.at <= window.to)
        .map((v) => {
          const marker = h(
            'span',
            {
              class: 'version-marker',
              'data-testid': 'version-marker',
              'data-version': v.version,
              'data-time': v.first_seen,
              title: `version ${v.version} first seen ${new Date(v.at * 1000).toISOString()}`,
            },
            v.version,
          );
          marker.style.left = `${((v.at - window.from) / span) * 100}%`;
          return marker;
        });
      versionTrack.hidden = markers.length === 0;
      replaceChildren(versionTrack, ...markers);
    },
    dispose() {
      chart.dispose();
    },
  };
}
