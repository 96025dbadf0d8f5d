import {
  Label,
  Line,
  Location,
  Mapping,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { unprocessable } from '../../platform/errors.js';
import {
  dictionaryOf,
  type OtlpAnyValue,
  type OtlpDictionary,
  type OtlpKeyValue,
  type OtlpProfilesRequest,
  type OtlpValueType,
  type ProfilePosition,
  positionName,
  profileAt,
} from './otlp-request.js';

/**
 * One OTLP profile (resource × scope × profile of a request) as a pprof, so that it goes through
 * the same decoder, rows and queries as every other profile:
 * - stacks are leaf-first in both formats, inlined frames are `Location.lines` in both (the last
 *   line is the caller the others were inlined into);
 * - a sample's attributes become its labels (strings as `str`, integers as `num`), keys and string
 *   values read through the string table when they arrive as `key_strindex` /
 *   `string_value_strindex`; keys the eBPF profiler cut at 15 bytes are restored to the label key
 *   they begin (`local root span` → `local root span id`);
 * - a sample's link (`link_index`, 0 = none) becomes the `span id` (decimal, as dd-trace-go
 *   labels it) and `trace_id` (hex) labels; it wins over attributes of the same meaning;
 * - a sample's value is the sum of its `values` (one per observation, as v1.11 allows), or, with
 *   no `values`, the number of its timestamps; a count profile whose period type is
 *   cpu/nanoseconds (the eBPF profiler's samples/count) also gets cpu/nanoseconds = count × period.
 *
 * Any reference outside its table, an id of the wrong length, values and timestamps that do not
 * pair up, a sum or a count × period beyond int64 refuses the profile (unprocessable: the
 * consumer dead-letters it with the reason).
 */
export interface OtlpConversionLimits {
  maxSamplesPerProfile: number;
  maxLabelsPerSample: number;
}

export interface ConvertedProfile {
  pprof: Uint8Array;
  service: string;
  env: string;
  version: string;
}

const INT64_MAX = (1n << 63n) - 1n;
/** Label keys Hotspots reads (shared/platform/labels.ts) that the eBPF profiler's 15-byte cut can shorten. */
const knownLongKeys = ['local root span id'];
const EBPF_KEY_BYTES = 15;

function refuse(where: string, message: string): never {
  throw unprocessable(`${where}: ${message}`);
}

function entry<T>(table: readonly T[], index: number | undefined, what: string, where: string): T | undefined {
  const i = index ?? 0;
  if (!Number.isInteger(i) || i < 0 || i >= Math.max(table.length, 1)) {
    refuse(where, `${what} ${i} is outside the table of ${table.length} entries`);
  }
  return table[i];
}

function stringAt(dictionary: OtlpDictionary, index: number | undefined, what: string, where: string): string {
  return entry(dictionary.stringTable, index, `${what} (string index)`, where) ?? '';
}

/** An attribute value as a pprof label value: text, or a number for integers. */
function labelValue(
  value: OtlpAnyValue | undefined,
  dictionary: OtlpDictionary,
  where: string,
): { str: string } | { num: bigint } | undefined {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return { str: value.stringValue };
  if (value.stringValueStrindex !== undefined) {
    return { str: stringAt(dictionary, value.stringValueStrindex, 'string_value_strindex', where) };
  }
  if (value.intValue !== undefined) return { num: BigInt(value.intValue) };
  if (value.boolValue !== undefined) return { str: String(value.boolValue) };
  if (value.doubleValue !== undefined) return { str: String(value.doubleValue) };
  return undefined; // bytes, arrays and maps have no pprof label form
}

function restoreKey(key: string): string {
  if (Buffer.byteLength(key) !== EBPF_KEY_BYTES) return key;
  return knownLongKeys.find((known) => known.startsWith(key)) ?? key;
}

function keyOf(kv: OtlpKeyValue, dictionary: OtlpDictionary, where: string): string {
  if (kv.key !== undefined && kv.key !== '') return kv.key;
  return stringAt(dictionary, kv.keyStrindex, 'key_strindex', where);
}

/** Resource attributes as text (service.name and friends), through the string table when sent so. */
function resourceText(attributes: readonly OtlpKeyValue[], dictionary: OtlpDictionary, where: string) {
  const text = new Map<string, string>();
  for (const kv of attributes) {
    const value = labelValue(kv.value, dictionary, where);
    if (value !== undefined) text.set(keyOf(kv, dictionary, where), 'str' in value ? value.str : String(value.num));
  }
  return text;
}

function valueTypeText(type: OtlpValueType | undefined, dictionary: OtlpDictionary, where: string) {
  return {
    type: stringAt(dictionary, type?.typeStrindex, 'type_strindex', where),
    unit: stringAt(dictionary, type?.unitStrindex, 'unit_strindex', where),
  };
}

function int64(text: string | undefined, what: string, where: string): bigint {
  const value = BigInt(text ?? '0');
  if (value > INT64_MAX || value < -INT64_MAX - 1n) refuse(where, `${what} ${value} is outside int64`);
  return value;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function otlpProfileToPprof(
  request: OtlpProfilesRequest,
  position: ProfilePosition,
  limits: OtlpConversionLimits,
): ConvertedProfile {
  const where = positionName(position);
  const profile = profileAt(request, position);
  if (profile === undefined) refuse(where, 'no such profile in the request');
  const dictionary = dictionaryOf(request);
  const resourceAttributes = request.resourceProfiles[position.resource]?.resource?.attributes ?? [];
  const resource = resourceText(resourceAttributes, dictionary, `${where} resource`);

  if (profile.samples.length > limits.maxSamplesPerProfile) {
    refuse(where, `${profile.samples.length} samples, above the limit of ${limits.maxSamplesPerProfile}`);
  }
  const strings = new StringTable();
  const sampleType = valueTypeText(profile.sampleType, dictionary, `${where} sample_type`);
  const periodType = valueTypeText(profile.periodType, dictionary, `${where} period_type`);
  const period = int64(profile.period, 'period', where);
  const deriveCpu =
    sampleType.unit === 'count' && periodType.type === 'cpu' && periodType.unit === 'nanoseconds' && period > 0n;

  const functions = new Map<number, PprofFunction>();
  const mappings = new Map<number, Mapping>();
  const locations = new Map<number, Location>();

  const functionId = (index: number | undefined, at: string): number => {
    const i = index ?? 0;
    if (!functions.has(i)) {
      const f = entry(dictionary.functionTable, i, 'function_index', at) ?? {};
      functions.set(
        i,
        new PprofFunction({
          id: i + 1,
          name: strings.dedup(stringAt(dictionary, f.nameStrindex, 'name_strindex', at)),
          systemName: strings.dedup(stringAt(dictionary, f.systemNameStrindex, 'system_name_strindex', at)),
          filename: strings.dedup(stringAt(dictionary, f.filenameStrindex, 'filename_strindex', at)),
          startLine: int64(f.startLine, 'start_line', at),
        }),
      );
    }
    return i + 1;
  };
  const mappingId = (index: number | undefined, at: string): number => {
    const i = index ?? 0;
    if (i === 0) return 0;
    if (!mappings.has(i)) {
      const m = entry(dictionary.mappingTable, i, 'mapping_index', at) ?? { attributeIndices: [] };
      mappings.set(
        i,
        new Mapping({
          id: i,
          memoryStart: BigInt(m.memoryStart ?? '0'),
          memoryLimit: BigInt(m.memoryLimit ?? '0'),
          fileOffset: BigInt(m.fileOffset ?? '0'),
          filename: strings.dedup(stringAt(dictionary, m.filenameStrindex, 'filename_strindex', at)),
          hasFunctions: true,
        }),
      );
    }
    return i;
  };
  const locationId = (index: number, at: string): number => {
    if (!locations.has(index)) {
      const l = entry(dictionary.locationTable, index, 'location index', at) ?? { lines: [], attributeIndices: [] };
      const lineAt = `${at} location_table[${index}]`;
      locations.set(
        index,
        new Location({
          id: index + 1,
          mappingId: mappingId(l.mappingIndex, lineAt),
          address: BigInt(l.address ?? '0'),
          line: l.lines.map(
            (line) =>
              new Line({
                functionId: functionId(line.functionIndex, lineAt),
                line: int64(line.line, 'line', lineAt),
                column: int64(line.column, 'column', lineAt),
              }),
          ),
        }),
      );
    }
    return index + 1;
  };

  const samples: Sample[] = [];
  profile.samples.forEach((sample, s) => {
    const at = `${where} samples[${s}]`;
    const stack = entry(dictionary.stackTable, sample.stackIndex, 'stack_index', at) ?? { locationIndices: [] };
    const labels = new Map<string, { str: string } | { num: bigint }>();
    for (const a of sample.attributeIndices) {
      const attribute = entry(dictionary.attributeTable, a, 'attribute index', at);
      if (attribute === undefined) continue;
      const key = restoreKey(stringAt(dictionary, attribute.keyStrindex, 'key_strindex', at));
      const value = labelValue(attribute.value, dictionary, at);
      if (key !== '' && value !== undefined) labels.set(key, value);
    }
    const linkIndex = sample.linkIndex ?? 0;
    const link = entry(dictionary.linkTable, linkIndex, 'link_index', at);
    if (linkIndex !== 0 && link !== undefined) {
      const spanId = link.spanId ?? new Uint8Array();
      const traceId = link.traceId ?? new Uint8Array();
      if (spanId.length !== 0 && spanId.length !== 8) refuse(at, `link span_id has ${spanId.length} bytes, not 8`);
      if (traceId.length !== 0 && traceId.length !== 16)
        refuse(at, `link trace_id has ${traceId.length} bytes, not 16`);
      if (spanId.length === 8 && /[^0]/.test(hex(spanId))) {
        labels.set('span id', { str: BigInt(`0x${hex(spanId)}`).toString() });
      }
      if (traceId.length === 16 && /[^0]/.test(hex(traceId))) labels.set('trace_id', { str: hex(traceId) });
    }
    if (labels.size > limits.maxLabelsPerSample) {
      refuse(at, `${labels.size} labels, above the limit of ${limits.maxLabelsPerSample}`);
    }

    const observations = sample.values.length;
    const timestamps = sample.timestampsUnixNano.length;
    if (observations > 0 && timestamps > 0 && observations !== timestamps) {
      refuse(at, `${observations} values but ${timestamps} timestamps: when both are sent they pair up`);
    }
    let value = observations === 0 ? BigInt(timestamps) : 0n;
    for (const v of sample.values) value += int64(v, 'value', at);
    if (value > INT64_MAX || value < -INT64_MAX - 1n) refuse(at, `values sum to ${value}, outside int64`);
    if (value === 0n) return;
    const values = [value];
    if (deriveCpu) {
      if (value < 0n) refuse(at, `negative count ${value}`);
      const cpu = value * period;
      if (cpu > INT64_MAX) refuse(at, `count ${value} × period ${period} ns is beyond int64`);
      values.push(cpu);
    }
    samples.push(
      new Sample({
        locationId: stack.locationIndices.map((l) => locationId(l, at)),
        value: values,
        label: [...labels].map(([key, v]) =>
          'str' in v
            ? new Label({ key: strings.dedup(key), str: strings.dedup(v.str) })
            : new Label({ key: strings.dedup(key), num: v.num }),
        ),
      }),
    );
  });

  const sampleTypes = [new ValueType({ type: strings.dedup(sampleType.type), unit: strings.dedup(sampleType.unit) })];
  if (deriveCpu) sampleTypes.push(new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }));
  const pprof = new Profile({
    sampleType: sampleTypes,
    sample: samples,
    mapping: [...mappings.values()],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: int64(profile.timeUnixNano, 'time_unix_nano', where),
    durationNanos: int64(profile.durationNano, 'duration_nano', where),
    periodType: new ValueType({ type: strings.dedup(periodType.type), unit: strings.dedup(periodType.unit) }),
    period,
  });
  return {
    pprof: pprof.encode(),
    service: resource.get('service.name') ?? '',
    env: resource.get('deployment.environment.name') ?? resource.get('deployment.environment') ?? '',
    version: resource.get('service.version') ?? '',
  };
}

/** service.name and friends of one resource, without converting its profiles (the upload function's need). */
export function resourceIdentity(
  request: OtlpProfilesRequest,
  resourceIndex: number,
): { service: string; env: string; version: string } {
  const attributes = request.resourceProfiles[resourceIndex]?.resource?.attributes ?? [];
  const text = resourceText(attributes, dictionaryOf(request), `resource_profiles[${resourceIndex}].resource`);
  return {
    service: text.get('service.name') ?? '',
    env: text.get('deployment.environment.name') ?? text.get('deployment.environment') ?? '',
    version: text.get('service.version') ?? '',
  };
}
