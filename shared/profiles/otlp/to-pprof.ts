import { unprocessable } from '../../platform/errors.js';
import {
  dictionaryOf,
  type OtlpAnyValue,
  type OtlpDictionary,
  type OtlpKeyValue,
  type OtlpProfilesRequest,
  type OtlpSample,
  type OtlpValueType,
  type ProfilePosition,
  positionName,
  profileAt,
} from './otlp-request.js';
import { type PprofLabel, PprofWriter } from './pprof-writer.js';

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
 *   cpu/nanoseconds (the eBPF profiler's samples/count) also gets cpu/nanoseconds = count × period,
 *   unless a profile of the same scope already measures cpu/nanoseconds;
 *
 * - a profile whose resource names no `service.name` while its samples do (the eBPF profiler
 *   labels samples with the service of their process) is split by that sample attribute: each
 *   envelope names one `sampleService` and gets only its samples.
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
export const SERVICE_NAME = 'service.name';

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

/**
 * A sample's value: the sum of its values, or the count of its timestamps. A plain number while
 * exact (the usual case: one value of a few digits), else a BigInt checked against int64.
 */
function sampleValue(sample: OtlpSample, where: () => string): number | bigint {
  const observations = sample.values.length;
  const timestamps = sample.timestampsUnixNano.length;
  if (observations === 0) return timestamps;
  if (timestamps > 0 && observations !== timestamps) {
    refuse(where(), `${observations} values but ${timestamps} timestamps: when both are sent they pair up`);
  }
  if (observations === 1) {
    const text = sample.values[0] as string;
    if (text.length < 16) return Number(text);
  }
  const at = where();
  let sum = 0n;
  for (const v of sample.values) sum += int64(v, 'value', at);
  if (sum > INT64_MAX || sum < -INT64_MAX - 1n) refuse(at, `values sum to ${sum}, outside int64`);
  return sum;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function otlpProfileToPprof(
  request: OtlpProfilesRequest,
  position: ProfilePosition,
  limits: OtlpConversionLimits,
  /** Only the samples of this sample-level `service.name` ('' = samples without one); absent: all. */
  sampleService?: string,
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
  const out = new PprofWriter();
  const sampleType = valueTypeText(profile.sampleType, dictionary, `${where} sample_type`);
  const periodType = valueTypeText(profile.periodType, dictionary, `${where} period_type`);
  const period = int64(profile.period, 'period', where);
  // A translated Go pprof can arrive as two profiles of one scope, samples/count and
  // cpu/nanoseconds: CPU then comes from the latter only, or it would count twice.
  const siblings = request.resourceProfiles[position.resource]?.scopeProfiles[position.scope]?.profiles ?? [];
  const scopeHasCpu = siblings.some((sibling) => {
    const type = dictionary.stringTable[sibling.sampleType?.typeStrindex ?? 0];
    const unit = dictionary.stringTable[sibling.sampleType?.unitStrindex ?? 0];
    return type === 'cpu' && unit === 'nanoseconds';
  });
  const deriveCpu =
    sampleType.unit === 'count' &&
    periodType.type === 'cpu' &&
    periodType.unit === 'nanoseconds' &&
    period > 0n &&
    !scopeHasCpu;
  out.sampleType(sampleType.type, sampleType.unit);
  if (deriveCpu) out.sampleType('cpu', 'nanoseconds');

  // pprof ids are the OTLP table index + 1 (0 is "none" in pprof); each entry is written once, when
  // a sample first reaches it.
  const functionsWritten = new Set<number>();
  const mappingsWritten = new Set<number>();
  const functionId = (index: number | undefined, at: string): number => {
    const i = index ?? 0;
    if (!functionsWritten.has(i)) {
      const f = entry(dictionary.functionTable, i, 'function_index', at) ?? {};
      out.function(
        i + 1,
        stringAt(dictionary, f.nameStrindex, 'name_strindex', at),
        stringAt(dictionary, f.systemNameStrindex, 'system_name_strindex', at),
        stringAt(dictionary, f.filenameStrindex, 'filename_strindex', at),
        int64(f.startLine, 'start_line', at),
      );
      functionsWritten.add(i);
    }
    return i + 1;
  };
  const mappingId = (index: number | undefined, at: string): number => {
    const i = index ?? 0;
    if (i === 0) return 0;
    if (!mappingsWritten.has(i)) {
      const m = entry(dictionary.mappingTable, i, 'mapping_index', at) ?? { attributeIndices: [] };
      out.mapping(
        i,
        BigInt(m.memoryStart ?? '0'),
        BigInt(m.memoryLimit ?? '0'),
        BigInt(m.fileOffset ?? '0'),
        stringAt(dictionary, m.filenameStrindex, 'filename_strindex', at),
      );
      mappingsWritten.add(i);
    }
    return i;
  };
  const locationsWritten = new Set<number>();
  const locationId = (index: number, at: string): number => {
    if (!locationsWritten.has(index)) {
      const l = entry(dictionary.locationTable, index, 'location index', at) ?? { lines: [], attributeIndices: [] };
      const lineAt = `${at} location_table[${index}]`;
      out.location(
        index + 1,
        mappingId(l.mappingIndex, lineAt),
        BigInt(l.address ?? '0'),
        l.lines.map((line) => ({
          functionId: functionId(line.functionIndex, lineAt),
          line: int64(line.line, 'line', lineAt),
          column: int64(line.column, 'column', lineAt),
        })),
      );
      locationsWritten.add(index);
    }
    return index + 1;
  };

  // Per dictionary entry, converted once: samples share the attribute, link and stack tables.
  const attributeLabels = new Map<number, { key: string; label: PprofLabel; text?: string } | null>();
  const attributeLabel = (index: number, where: () => string) => {
    let converted = attributeLabels.get(index);
    if (converted === undefined) {
      const at = where();
      const attribute = entry(dictionary.attributeTable, index, 'attribute index', at);
      const key = attribute ? restoreKey(stringAt(dictionary, attribute.keyStrindex, 'key_strindex', at)) : '';
      const value = attribute ? labelValue(attribute.value, dictionary, at) : undefined;
      converted =
        key === '' || value === undefined
          ? null
          : {
              key,
              ...('str' in value ? { text: value.str } : {}),
              label:
                'str' in value
                  ? { key: out.string(key), str: out.string(value.str), num: 0 }
                  : { key: out.string(key), str: 0, num: value.num },
            };
      attributeLabels.set(index, converted);
    }
    return converted;
  };
  const linkLabels = new Map<number, { key: string; label: PprofLabel }[]>();
  const linkLabel = (index: number, where: () => string) => {
    let converted = linkLabels.get(index);
    if (converted === undefined) {
      const at = where();
      converted = [];
      const link = entry(dictionary.linkTable, index, 'link_index', at);
      const spanId = link?.spanId ?? new Uint8Array();
      const traceId = link?.traceId ?? new Uint8Array();
      if (spanId.length !== 0 && spanId.length !== 8) refuse(at, `link span_id has ${spanId.length} bytes, not 8`);
      if (traceId.length !== 0 && traceId.length !== 16) {
        refuse(at, `link trace_id has ${traceId.length} bytes, not 16`);
      }
      const text = (key: string, value: string) => ({
        key,
        label: { key: out.string(key), str: out.string(value), num: 0 },
      });
      if (index !== 0 && spanId.length === 8 && /[^0]/.test(hex(spanId))) {
        converted.push(text('span id', BigInt(`0x${hex(spanId)}`).toString()));
      }
      if (index !== 0 && traceId.length === 16 && /[^0]/.test(hex(traceId))) {
        converted.push(text('trace_id', hex(traceId)));
      }
      linkLabels.set(index, converted);
    }
    return converted;
  };
  const stackLocations = new Map<number, number[]>();
  const stackLocation = (index: number | undefined, where: () => string) => {
    const i = index ?? 0;
    let ids = stackLocations.get(i);
    if (ids === undefined) {
      const at = where();
      const stack = entry(dictionary.stackTable, i, 'stack_index', at);
      ids = (stack?.locationIndices ?? []).map((l) => locationId(l, at));
      stackLocations.set(i, ids);
    }
    return ids;
  };

  const keys: string[] = [];
  const labels: PprofLabel[] = [];
  /** Adds a label; keys stay unique, the later one (the link's, after attributes) wins. */
  const addLabel = (converted: { key: string; label: PprofLabel } | null) => {
    if (converted === null) return;
    const same = keys.indexOf(converted.key);
    if (same >= 0) labels[same] = converted.label;
    else {
      keys.push(converted.key);
      labels.push(converted.label);
    }
  };
  const samples = profile.samples;
  for (let s = 0; s < samples.length; s += 1) {
    const sample = samples[s] as OtlpSample;
    // Where, for messages: built only when an entry is converted for the first time.
    const at = () => `${where} samples[${s}]`;
    const locationIds = stackLocation(sample.stackIndex, at);
    keys.length = 0;
    labels.length = 0;
    let service = '';
    for (const a of sample.attributeIndices) {
      const converted = attributeLabel(a, at);
      if (converted?.key === SERVICE_NAME) service = converted.text ?? '';
      addLabel(converted);
    }
    if (sampleService !== undefined && service !== sampleService) continue;
    const link = sample.linkIndex ?? 0;
    if (link !== 0) for (const converted of linkLabel(link, at)) addLabel(converted);
    if (labels.length > limits.maxLabelsPerSample) {
      refuse(at(), `${labels.length} labels, above the limit of ${limits.maxLabelsPerSample}`);
    }
    const value = sampleValue(sample, at);
    if (value === 0 || value === 0n) continue;
    if (!deriveCpu) {
      out.sample(locationIds, [value], labels);
      continue;
    }
    if (value < 0) refuse(at(), `negative count ${value}`);
    const cpu = BigInt(value) * period;
    if (cpu > INT64_MAX) refuse(at(), `count ${value} × period ${period} ns is beyond int64`);
    out.sample(locationIds, [value, cpu], labels);
  }

  const pprof = out.finish(
    int64(profile.timeUnixNano, 'time_unix_nano', where),
    int64(profile.durationNano, 'duration_nano', where),
    [periodType.type, periodType.unit],
    period,
  );
  return {
    pprof,
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

/**
 * The distinct sample-level `service.name` values of a profile, in order of first appearance (''
 * for samples without one), for the intake to split it by. Never throws: a broken reference is
 * the consumer's to refuse, with its reason.
 */
export function sampleServices(request: OtlpProfilesRequest, position: ProfilePosition): string[] {
  const profile = profileAt(request, position);
  const dictionary = dictionaryOf(request);
  const byAttribute = new Map<number, string | undefined>();
  const serviceOf = (index: number): string | undefined => {
    if (!byAttribute.has(index)) {
      const attribute = dictionary.attributeTable[index];
      const key = dictionary.stringTable[attribute?.keyStrindex ?? 0];
      const value = attribute?.value;
      const text =
        key !== SERVICE_NAME || value === undefined
          ? undefined
          : (value.stringValue ?? dictionary.stringTable[value.stringValueStrindex ?? -1]);
      byAttribute.set(index, text);
    }
    return byAttribute.get(index);
  };
  const services = new Set<string>();
  for (const sample of profile?.samples ?? []) {
    let service = '';
    for (const a of sample.attributeIndices) service = serviceOf(a) ?? service;
    services.add(service);
  }
  return [...services];
}
