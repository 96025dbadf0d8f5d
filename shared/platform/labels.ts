import { parseDecimalUint64, parseFixedWidthSpanId } from './ids.js';

/**
 * Label normalisation (DESIGN.md "Labels"). Tracers name the same facts differently:
 * dd-trace-go `span id` / `local root span id` / `trace endpoint` (decimal ids), otel-profiling-go
 * `span_id` (16 hex) / `span_name`, older integrations `profile_id`. Each meaning lists the keys
 * that carry it, first match wins; the original key set is kept beside the normalised columns.
 */
export type IdFormat = 'decimal' | 'hex16-or-decimal';

export interface LabelKeyRule {
  key: string;
  format?: IdFormat;
}

export interface LabelMapping {
  spanId: LabelKeyRule[];
  localRootSpanId: LabelKeyRule[];
  endpoint: LabelKeyRule[];
  traceId: LabelKeyRule[];
}

export const defaultLabelMapping: LabelMapping = {
  spanId: [
    { key: 'span id', format: 'decimal' },
    // Pyroscope sends 16 fixed-width hex digits; the seed example sends decimal under the same key.
    { key: 'span_id', format: 'hex16-or-decimal' },
    { key: 'profile_id', format: 'hex16-or-decimal' },
  ],
  localRootSpanId: [{ key: 'local root span id', format: 'decimal' }],
  endpoint: [{ key: 'trace endpoint' }, { key: 'endpoint' }, { key: 'span_name' }],
  traceId: [{ key: 'trace id' }, { key: 'trace_id' }],
};

export interface NormalisedLabels {
  /** Decimal uint64; '0' when the sample carries no (parseable) span id. */
  spanId: string;
  localRootSpanId: string;
  endpoint: string | null;
  /** Lowercase hex as sent (32 digits for 128-bit ids), '' when absent. */
  traceId: string;
}

function parseId(value: string, format: IdFormat | undefined): string | undefined {
  return format === 'hex16-or-decimal' ? parseFixedWidthSpanId(value) : parseDecimalUint64(value);
}

function firstId(labels: ReadonlyMap<string, string>, rules: readonly LabelKeyRule[]): string {
  for (const rule of rules) {
    const value = labels.get(rule.key);
    if (value === undefined) continue;
    const id = parseId(value.trim(), rule.format);
    if (id !== undefined) return id;
  }
  return '0';
}

function firstText(labels: ReadonlyMap<string, string>, rules: readonly LabelKeyRule[]): string | undefined {
  for (const rule of rules) {
    const value = labels.get(rule.key);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function normaliseLabels(labels: ReadonlyMap<string, string>, mapping: LabelMapping): NormalisedLabels {
  const traceId = firstText(labels, mapping.traceId);
  return {
    spanId: firstId(labels, mapping.spanId),
    localRootSpanId: firstId(labels, mapping.localRootSpanId),
    endpoint: firstText(labels, mapping.endpoint) ?? null,
    traceId: traceId !== undefined && /^[0-9a-fA-F]{1,32}$/.test(traceId) ? traceId.toLowerCase() : '',
  };
}
