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
  const element = h(
    'section',
    { class: 'panel series-panel', 'aria-labelledby': 'series-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'series-heading' }, 'CPU over time'), groupSwitch),
    body,
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
    dispose() {
      chart.dispose();
    },
  };
}
