import { describe, expect, it } from 'vitest';
import { defaultLabelMapping, type LabelMapping, normaliseLabels } from '../../shared/platform/labels.js';

const normalise = (labels: Record<string, string>) =>
  normaliseLabels(new Map(Object.entries(labels)), defaultLabelMapping);

describe('normaliseLabels with the default mapping', () => {
  it('reads the dd-trace-go keys, which contain spaces', () => {
    const labels = normalise({ 'span id': '1234', 'local root span id': '5678', 'trace endpoint': 'GET /cart' });

    expect(labels).toEqual({ spanId: '1234', localRootSpanId: '5678', endpoint: 'GET /cart', traceId: '' });
  });

  it('keeps a decimal span id beyond 2^53 exact', () => {
    expect(normalise({ 'span id': '9007199254740993' }).spanId).toBe('9007199254740993');
  });

  it('keeps a decimal span id beyond 2^63 exact', () => {
    expect(normalise({ 'span id': '18446744073709551615' }).spanId).toBe('18446744073709551615');
  });

  it('keeps a local root span id beyond 2^63 exact', () => {
    expect(normalise({ 'local root span id': '9223372036854775809' }).localRootSpanId).toBe('9223372036854775809');
  });

  it('converts a Pyroscope 16-hex span_id to decimal', () => {
    expect(normalise({ span_id: 'ffffffffffffffff' }).spanId).toBe('18446744073709551615');
  });

  it('reads a short span_id as decimal', () => {
    expect(normalise({ span_id: '42' }).spanId).toBe('42');
  });

  it('falls back to profile_id when no span id key is present', () => {
    expect(normalise({ profile_id: '00000000000000ff' }).spanId).toBe('255');
  });

  it('prefers span id over span_id and profile_id', () => {
    const labels = normalise({ profile_id: '3', span_id: '2', 'span id': '1' });

    expect(labels.spanId).toBe('1');
  });

  it('falls through a garbage span id to the next key that parses', () => {
    expect(normalise({ 'span id': 'not-a-number', span_id: '7' }).spanId).toBe('7');
  });

  it('trims spaces around an id', () => {
    expect(normalise({ 'span id': ' 99 ' }).spanId).toBe('99');
  });

  it("gives span id '0' and a null endpoint when the sample has no labels", () => {
    expect(normalise({})).toEqual({ spanId: '0', localRootSpanId: '0', endpoint: null, traceId: '' });
  });

  it.each(['abc', '-1', '1.5', '18446744073709551616', '0x10', ''])(
    "gives span id '0' for the garbage id %j",
    (value) => {
      expect(normalise({ 'span id': value }).spanId).toBe('0');
    },
  );

  it("gives span id '0' for a hex span_id that is not 16 digits long", () => {
    expect(normalise({ span_id: 'abcdef' }).spanId).toBe('0');
  });

  it("gives local root span id '0' for a hex value, which dd-trace-go never sends", () => {
    expect(normalise({ 'local root span id': '00000000000000ff' }).localRootSpanId).toBe('0');
  });

  it('prefers trace endpoint over endpoint and span_name', () => {
    const labels = normalise({ span_name: 'c', endpoint: 'b', 'trace endpoint': 'a' });

    expect(labels.endpoint).toBe('a');
  });

  it('falls back to span_name for the endpoint', () => {
    expect(normalise({ span_name: 'HTTP GET' }).endpoint).toBe('HTTP GET');
  });

  it('keeps an endpoint with quotes and non-ASCII text verbatim', () => {
    expect(normalise({ 'trace endpoint': `GET /pané/'"🚀` }).endpoint).toBe(`GET /pané/'"🚀`);
  });

  it('lower-cases a hex trace id', () => {
    expect(normalise({ 'trace id': '4BF92F3577B34DA6A3CE929D0E0E4736' }).traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it('reads trace_id when trace id is absent', () => {
    expect(normalise({ trace_id: 'abc123' }).traceId).toBe('abc123');
  });

  it('drops a trace id that is not hex', () => {
    expect(normalise({ 'trace id': 'trace-1' }).traceId).toBe('');
  });

  it('drops a trace id longer than 128 bits', () => {
    expect(normalise({ 'trace id': 'a'.repeat(33) }).traceId).toBe('');
  });

  it('follows a custom mapping', () => {
    const mapping: LabelMapping = {
      spanId: [{ key: 'sid', format: 'hex16-or-decimal' }],
      localRootSpanId: [],
      endpoint: [{ key: 'route' }],
      traceId: [],
    };

    const labels = normaliseLabels(
      new Map([
        ['sid', '000000000000000a'],
        ['route', '/x'],
      ]),
      mapping,
    );

    expect(labels).toEqual({ spanId: '10', localRootSpanId: '0', endpoint: '/x', traceId: '' });
  });
});
