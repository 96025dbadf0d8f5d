import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/platform/config.js';

/** The trace intake's configuration: topic and span limits, validated at cold start. */
describe('span configuration', () => {
  it('has defaults', () => {
    const config = loadConfig({});

    expect(config.kafka.spansTopic).toBe('hotspots.spans');
    expect(config.spanLimits).toEqual({ maxSpansPerPayload: 100_000, maxTagsPerSpan: 1024, maxStringBytes: 25_000 });
  });

  it('reads overrides', () => {
    const config = loadConfig({
      HOTSPOTS_SPANS_TOPIC: 'spans.eu',
      HOTSPOTS_MAX_SPANS_PER_PAYLOAD: '10',
      HOTSPOTS_MAX_TAGS_PER_SPAN: '20',
      HOTSPOTS_MAX_SPAN_STRING_BYTES: '100',
    });

    expect([config.kafka.spansTopic, config.spanLimits]).toEqual([
      'spans.eu',
      { maxSpansPerPayload: 10, maxTagsPerSpan: 20, maxStringBytes: 100 },
    ]);
  });

  it('refuses a limit that is not a whole number, naming the variable', () => {
    expect(() => loadConfig({ HOTSPOTS_MAX_SPANS_PER_PAYLOAD: '1e5' })).toThrow(
      new ConfigError('HOTSPOTS_MAX_SPANS_PER_PAYLOAD', 'must be a whole number, got "1e5"'),
    );
  });

  it('refuses a zero tag limit', () => {
    expect(() => loadConfig({ HOTSPOTS_MAX_TAGS_PER_SPAN: '0' })).toThrow(
      /HOTSPOTS_MAX_TAGS_PER_SPAN must be between 1/,
    );
  });

  it('refuses a string limit too small to hold a tag', () => {
    expect(() => loadConfig({ HOTSPOTS_MAX_SPAN_STRING_BYTES: '10' })).toThrow(
      /HOTSPOTS_MAX_SPAN_STRING_BYTES must be between 64/,
    );
  });
});
