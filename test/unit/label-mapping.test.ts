import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseLabelMappings } from '../../shared/platform/config.js';
import { defaultLabelMapping, normaliseLabels } from '../../shared/platform/labels.js';
import { createLabelMappingResolver } from '../../shared/profiles/label-mapping.js';

const custom = JSON.stringify({
  acme: {
    spanId: [{ key: 'otel.span_id', format: 'hex16-or-decimal' }],
    endpoint: [{ key: 'http.route' }],
  },
});

describe('HOTSPOTS_LABEL_MAPPINGS', () => {
  it('is empty when unset, so every tenant uses the defaults', () => {
    expect(loadConfig({}).labelMappings).toEqual({});
  });

  it('reads per-tenant rules, with decimal as the default id format', () => {
    const mappings = parseLabelMappings(JSON.stringify({ acme: { localRootSpanId: [{ key: 'root' }] } }));

    expect(mappings).toEqual({ acme: { localRootSpanId: [{ key: 'root', format: 'decimal' }] } });
  });

  it('is read by loadConfig', () => {
    expect(loadConfig({ HOTSPOTS_LABEL_MAPPINGS: custom }).labelMappings.acme?.endpoint).toEqual([
      { key: 'http.route' },
    ]);
  });

  it.each([
    ['not JSON', '{acme:'],
    ['not an object', '[]'],
    ['a tenant outside the tenant alphabet', '{"a b": {}}'],
    ['an unknown meaning', '{"acme": {"spanID": [{"key": "x"}]}}'],
    ['rules that are not a list', '{"acme": {"spanId": {"key": "x"}}}'],
    ['an empty rule list', '{"acme": {"spanId": []}}'],
    ['a rule without key', '{"acme": {"spanId": [{"format": "decimal"}]}}'],
    ['an unknown id format', '{"acme": {"spanId": [{"key": "x", "format": "base64"}]}}'],
    ['a format on an endpoint rule', '{"acme": {"endpoint": [{"key": "x", "format": "decimal"}]}}'],
    ['an unknown rule field', '{"acme": {"endpoint": [{"key": "x", "regex": ".*"}]}}'],
  ])('refuses %s, naming the variable', (_what, raw) => {
    expect(() => loadConfig({ HOTSPOTS_LABEL_MAPPINGS: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ HOTSPOTS_LABEL_MAPPINGS: raw })).toThrow('HOTSPOTS_LABEL_MAPPINGS');
  });
});

describe('createLabelMappingResolver', () => {
  const resolve = createLabelMappingResolver(parseLabelMappings(custom));

  it('replaces the meanings a tenant names and keeps the defaults of the others', () => {
    expect(resolve('acme')).toEqual({
      ...defaultLabelMapping,
      spanId: [{ key: 'otel.span_id', format: 'hex16-or-decimal' }],
      endpoint: [{ key: 'http.route' }],
    });
  });

  it('gives other tenants the default mapping', () => {
    expect(resolve('someone-else')).toBe(defaultLabelMapping);
  });

  it('normalises a tenant’s own label keys, and no longer the default ones it replaced', () => {
    const labels = new Map([
      ['otel.span_id', '00000000000000ff'],
      ['http.route', '/orders/{id}'],
      ['trace endpoint', 'ignored for acme'],
      ['local root span id', '7'],
    ]);

    expect(normaliseLabels(labels, resolve('acme'))).toEqual({
      spanId: '255',
      localRootSpanId: '7',
      endpoint: '/orders/{id}',
      traceId: '',
    });
    expect(normaliseLabels(labels, resolve('other')).endpoint).toBe('ignored for acme');
  });
});
