/**
 * Time windows of the service view. Presets are relative to now and resolved at each fetch; a
 * custom window is two absolute unix-second bounds. Pure, so it is unit-tested.
 */
export interface RangePreset {
  key: string;
  label: string;
  seconds: number;
}

export const rangePresets: readonly RangePreset[] = [
  { key: '15m', label: 'Last 15 minutes', seconds: 15 * 60 },
  { key: '1h', label: 'Last hour', seconds: 3600 },
  { key: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { key: '24h', label: 'Last 24 hours', seconds: 24 * 3600 },
  { key: '7d', label: 'Last 7 days', seconds: 7 * 24 * 3600 },
];

export const defaultRange = '1h';

export type RangeChoice = { kind: 'preset'; key: string } | { kind: 'custom'; from: number; to: number };

export interface Window {
  from: number;
  to: number;
}

/**
 * The window to query. Presets end a minute past now, like the API's own defaults, so a profile
 * stamped by an agent whose clock runs slightly ahead is not missed.
 */
export function resolveRange(choice: RangeChoice, nowSeconds: number): Window {
  if (choice.kind === 'custom') return { from: choice.from, to: choice.to };
  const preset = rangePresets.find((p) => p.key === choice.key) ?? rangePresets[1];
  const now = Math.floor(nowSeconds);
  return { from: now - (preset?.seconds ?? 3600), to: now + 60 };
}

const niceSteps = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The smallest round step giving at most `maxPoints` buckets (the API allows 1000). */
export function chooseStep(window: Window, maxPoints = 120): number {
  const span = Math.max(1, window.to - window.from);
  for (const step of niceSteps) if (span / step <= maxPoints) return step;
  return Math.ceil(span / maxPoints / 86400) * 86400;
}

/** Reads `range`, `from`, `to` from the URL of the service view. */
export function rangeFromQuery(query: URLSearchParams): RangeChoice {
  const from = Number(query.get('from'));
  const to = Number(query.get('to'));
  if (query.get('range') === 'custom' && Number.isInteger(from) && Number.isInteger(to) && from > 0 && to > from) {
    return { kind: 'custom', from, to };
  }
  const key = query.get('range') ?? defaultRange;
  return { kind: 'preset', key: rangePresets.some((p) => p.key === key) ? key : defaultRange };
}

export function rangeToQuery(choice: RangeChoice, query: URLSearchParams): void {
  query.delete('from');
  query.delete('to');
  if (choice.kind === 'custom') {
    query.set('range', 'custom');
    query.set('from', String(choice.from));
    query.set('to', String(choice.to));
  } else {
    query.set('range', choice.key);
  }
}

/** `<input type="datetime-local">` value (local time, minutes) ↔ unix seconds. */
export function toLocalInput(seconds: number): string {
  const d = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | undefined {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) && value !== '' ? Math.floor(ms / 1000) : undefined;
}
