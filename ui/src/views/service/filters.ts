import type { ServiceEntry } from '../../api-answers.js';
import { h, replaceChildren, uniqueId } from '../../dom.js';
import type { ServiceState } from '../../service-state.js';
import { rangePresets, toLocalInput, type Window } from '../../time-range.js';
import { customRange, customRangeOf, serviceOptions, versionsKey, windowSummary } from './model.js';

/**
 * The filters of the service view (service, time range, env, version, Refresh) and the line under
 * them naming the window queried. It shows the state it is given and reports what the user
 * changed; every change starts a new window.
 */
export interface FiltersOptions {
  /**
   * The state and window the view queries now, which a custom range and the version suggestions
   * start from. Read when the user acts, as the view may have moved on since the last `show`.
   */
  current(): { state: ServiceState; period: Window };
  onChange(next: Partial<ServiceState>): void;
  /** Query the same filters again, up to now. */
  onRefresh(): void;
  /** Versions seen for these filters, suggested in the version input. */
  listVersions(state: ServiceState, period: Window): Promise<string[]>;
}

export interface Filters {
  form: HTMLFormElement;
  windowLine: HTMLElement;
  /** Shows the filters (hidden until there are services to filter) with this state. */
  show(state: ServiceState, period: Window, services: readonly ServiceEntry[]): void;
}

export function createFilters(options: FiltersOptions): Filters {
  const serviceSelect = h('select', { id: 'f-service', 'data-testid': 'service-select' });
  const rangeSelect = h(
    'select',
    { id: 'f-range', 'data-testid': 'range-select' },
    ...rangePresets.map((p) => h('option', { value: p.key }, p.label)),
    h('option', { value: 'custom' }, 'Custom…'),
  );
  const fromInput = h('input', { type: 'datetime-local', id: 'f-from', 'aria-label': 'From' });
  const toInput = h('input', { type: 'datetime-local', id: 'f-to', 'aria-label': 'To' });
  const customFields = h('div', { class: 'custom-range', hidden: true }, fromInput, h('span', {}, '–'), toInput);
  const envInput = h('input', { type: 'text', id: 'f-env', placeholder: 'any', autocomplete: 'off', size: 10 });
  const versionList = h('datalist', { id: uniqueId('versions') });
  const versionInput = h('input', {
    type: 'text',
    id: 'f-version',
    placeholder: 'any',
    autocomplete: 'off',
    size: 10,
    list: versionList.id,
  });
  const refresh = h('button', { type: 'button', class: 'button', title: 'Query again up to now' }, 'Refresh');
  const windowLine = h('p', { class: 'muted window-line', 'data-testid': 'window' });
  const field = (label: string, id: string, control: HTMLElement, ...extra: HTMLElement[]) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control, ...extra);
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filters', onsubmit: (e: Event) => e.preventDefault() },
    field('Service', 'f-service', serviceSelect),
    field('Time range', 'f-range', rangeSelect, customFields),
    field('Env', 'f-env', envInput),
    field('Version', 'f-version', versionInput, versionList),
    h('div', { class: 'field field-action' }, refresh),
  );
  form.hidden = true;
  windowLine.hidden = true;

  serviceSelect.addEventListener('change', () => options.onChange({ service: serviceSelect.value, endpoints: [] }));
  rangeSelect.addEventListener('change', () => {
    if (rangeSelect.value === 'custom') {
      const current = options.current().period;
      customFields.hidden = false;
      fromInput.value = toLocalInput(current.from);
      toInput.value = toLocalInput(current.to);
      options.onChange({ range: customRangeOf(current) });
      fromInput.focus();
    } else {
      options.onChange({ range: { kind: 'preset', key: rangeSelect.value } });
    }
  });
  const customChanged = () => {
    const range = customRange(fromInput.value, toInput.value);
    if (range) {
      toInput.setCustomValidity('');
      options.onChange({ range });
    } else {
      toInput.setCustomValidity('The end must come after the start');
      toInput.reportValidity();
    }
  };
  fromInput.addEventListener('change', customChanged);
  toInput.addEventListener('change', customChanged);
  envInput.addEventListener('change', () => options.onChange({ env: envInput.value.trim() }));
  versionInput.addEventListener('change', () => options.onChange({ version: versionInput.value.trim() }));
  refresh.addEventListener('click', () => options.onRefresh());

  let suggestedFor = '';
  versionInput.addEventListener('focus', () => {
    const { state, period } = options.current();
    if (!state.service) return;
    const key = versionsKey(state, period);
    if (key === suggestedFor) return;
    suggestedFor = key;
    options.listVersions(state, period).then(
      (versions) => replaceChildren(versionList, ...versions.map((version) => h('option', { value: version }))),
      // Suggestions are a convenience: without them the input still takes any version.
      () => undefined,
    );
  });

  return {
    form,
    windowLine,
    show(state, period, services) {
      form.hidden = false;
      windowLine.hidden = false;
      replaceChildren(
        serviceSelect,
        ...serviceOptions(services, state.service).map(({ value, label }) =>
          h('option', { value, selected: value === state.service }, label),
        ),
      );
      serviceSelect.value = state.service ?? '';
      rangeSelect.value = state.range.kind === 'custom' ? 'custom' : state.range.key;
      customFields.hidden = state.range.kind !== 'custom';
      if (state.range.kind === 'custom') {
        fromInput.value = toLocalInput(state.range.from);
        toInput.value = toLocalInput(state.range.to);
      }
      // Not while typing: the URL follows the input on change, the input must not jump back.
      if (document.activeElement !== envInput) envInput.value = state.env;
      if (document.activeElement !== versionInput) versionInput.value = state.version;
      windowLine.textContent = windowSummary(state, period);
    },
  };
}
