import { type Location, Profile } from 'pprof-format';
import { HotspotsError, unprocessable } from '../../shared/platform/errors.js';
import { type LabelMapping, normaliseLabels } from '../../shared/platform/labels.js';
import { frameIdOf, stackIdOf } from '../../shared/pprof/content-ids.js';
import type {
  ExplodedProfile,
  ExplodeLimits,
  FrameRow,
  Int64Json,
  ProfileContext,
  SampleRow,
  StackRow,
} from '../../shared/pprof/index.js';

/**
 * The reference explode: pprof-format's `Profile.decode`, then the rows, written for clarity. The
 * consumer runs the hand-written decoder in explode.ts; this one stays as its oracle in
 * test/unit/explode-differential.test.ts and as the baseline of test/bench/decode.ts.
 * Field numbers and semantics follow google/pprof's profile.proto.
 */
function toBigInt(value: number | bigint | undefined): bigint {
  if (value === undefined) return 0n;
  return typeof value === 'bigint' ? value : BigInt(value);
}

/**
 * profile.proto's int64 fields (values, numeric labels, times, period). pprof-format hands their
 * varints back unsigned, so -1 arrives as 2^64 − 1: read them as two's complement, as Go does.
 */
function toInt64(value: number | bigint | undefined): bigint {
  return BigInt.asIntN(64, toBigInt(value));
}

function int64Json(value: number | bigint): Int64Json {
  if (typeof value === 'number') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

export function decodePprof(data: Uint8Array): Profile {
  try {
    return Profile.decode(data);
  } catch (error) {
    throw unprocessable(`payload is not a valid pprof profile: ${(error as Error).message}`, error);
  }
}

export function explodeProfileReference(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ExplodedProfile {
  try {
    return explode(data, context, mapping, limits);
  } catch (error) {
    // Pure code over the same bytes fails the same way every time: never worth a retry.
    if (error instanceof HotspotsError) throw error;
    throw unprocessable(`profile could not be exploded: ${(error as Error).message}`, error);
  }
}

function explode(
  data: Uint8Array,
  context: ProfileContext,
  mapping: LabelMapping,
  limits: ExplodeLimits,
): ExplodedProfile {
  const profile = decodePprof(data);
  const strings = profile.stringTable.strings;
  const stringAt = (index: number | bigint, what: string): string => {
    const value = strings[Number(index)];
    if (value === undefined) throw unprocessable(`${what} refers to string ${index}, beyond the string table`);
    return value;
  };

  if (profile.sample.length > limits.maxSamplesPerProfile) {
    throw unprocessable(
      `profile has ${profile.sample.length} samples, above the limit of ${limits.maxSamplesPerProfile}`,
    );
  }
  const sampleTypes = profile.sampleType.map((t) => ({
    type: stringAt(t.type, 'sample type'),
    unit: stringAt(t.unit, 'sample unit'),
  }));
  if (sampleTypes.length === 0) throw unprocessable('profile declares no sample types');

  const locations = new Map<string, Location>();
  for (const location of profile.location) locations.set(String(location.id), location);
  const functions = new Map<string, { name: string; systemName: string; fileName: string }>();
  for (const fn of profile.function) {
    functions.set(String(fn.id), {
      name: stringAt(fn.name, 'function name'),
      systemName: stringAt(fn.systemName, 'function system name'),
      fileName: stringAt(fn.filename, 'function file name'),
    });
  }

  const frames = new Map<string, FrameRow>();
  const framesOfLocation = new Map<string, string[]>();
  const stacks = new Map<string, StackRow>();
  const stackIdByLocations = new Map<string, string>();

  // pprof lists a location's lines innermost first (the last entry is the caller the others were
  // inlined into), and a sample's locations leaf first: concatenating keeps the stack leaf first.
  const frameIdsOf = (locationId: string): string[] => {
    const cached = framesOfLocation.get(locationId);
    if (cached) return cached;
    const location = locations.get(locationId);
    if (!location) throw unprocessable(`a sample refers to location ${locationId}, which the profile does not define`);
    const ids: string[] = [];
    const lines = location.line.length > 0 ? location.line : [undefined];
    for (const line of lines) {
      const fn = line ? functions.get(String(line.functionId)) : undefined;
      if (line && !fn) throw unprocessable(`location ${locationId} refers to missing function ${line.functionId}`);
      const name = fn?.name || `0x${toBigInt(location.address).toString(16)}`;
      const row: Omit<FrameRow, 'frame_id'> = {
        tenant: context.tenant,
        function_name: name,
        system_name: fn?.systemName ?? '',
        file_name: fn?.fileName ?? '',
        line: line ? Number(line.line) : 0,
      };
      const frameId = frameIdOf(row.function_name, row.system_name, row.file_name, row.line).toString();
      if (!frames.has(frameId)) frames.set(frameId, { ...row, frame_id: frameId });
      ids.push(frameId);
    }
    framesOfLocation.set(locationId, ids);
    return ids;
  };

  const ts = profile.timeNanos ? Number(toInt64(profile.timeNanos) / 1_000_000_000n) : context.fallbackStartSeconds;
  const rows: SampleRow[] = [];
  for (const sample of profile.sample) {
    const locationKey = sample.locationId.join(',');
    let stackId = stackIdByLocations.get(locationKey);
    if (stackId === undefined) {
      const frameIds = sample.locationId.flatMap((id) => frameIdsOf(String(id)));
      stackId = stackIdOf(frameIds.map((id) => BigInt(id))).toString();
      stackIdByLocations.set(locationKey, stackId);
      if (!stacks.has(stackId)) stacks.set(stackId, { tenant: context.tenant, stack_id: stackId, frame_ids: frameIds });
    }

    if (sample.label.length > limits.maxLabelsPerSample) {
      throw unprocessable(
        `a sample has ${sample.label.length} labels, above the limit of ${limits.maxLabelsPerSample}`,
      );
    }
    const labels = new Map<string, string>();
    const labelKeys: string[] = [];
    const labelValues: string[] = [];
    for (const label of sample.label) {
      // As Go's profile reader does: a label with neither a string nor a number carries no value.
      if (!label.str && !label.num) continue;
      const key = stringAt(label.key, 'label key');
      const value = label.str ? stringAt(label.str, 'label value') : toInt64(label.num).toString();
      if (Buffer.byteLength(key) > limits.maxLabelValueBytes || Buffer.byteLength(value) > limits.maxLabelValueBytes) {
        throw unprocessable(
          `label ${JSON.stringify(key.slice(0, 64))} is longer than ${limits.maxLabelValueBytes} bytes`,
        );
      }
      // Meanings read a negative number label as its uint64 (span ids above 2^63 sent as int64).
      if (!labels.has(key)) labels.set(key, label.str ? value : BigInt.asUintN(64, toInt64(label.num)).toString());
      labelKeys.push(key);
      labelValues.push(value);
    }
    const normalised = normaliseLabels(labels, mapping);

    sample.value.forEach((value, index) => {
      const type = sampleTypes[index];
      if (type === undefined || toInt64(value) === 0n) return;
      rows.push({
        tenant: context.tenant,
        service: context.service,
        env: context.env,
        version: context.version,
        ts,
        profile_id: context.profileId,
        ingest_id: context.ingestId,
        sample_type: type.type,
        sample_unit: type.unit,
        value: int64Json(toInt64(value)),
        span_id: normalised.spanId,
        local_root_span_id: normalised.localRootSpanId,
        endpoint: normalised.endpoint,
        trace_id: normalised.traceId,
        label_keys: labelKeys,
        label_values: labelValues,
        stack_id: stackId,
      });
    });
  }

  const typeNames = sampleTypes.map((t) => `${t.type}/${t.unit}`);
  const repeated = typeNames.find((name, index) => typeNames.indexOf(name) !== index);
  if (repeated !== undefined) throw unprocessable(`profile declares sample type ${repeated} more than once`);
  return {
    startNs: toInt64(profile.timeNanos) || BigInt(context.fallbackStartSeconds) * 1_000_000_000n,
    durationNs: toInt64(profile.durationNanos),
    period: toInt64(profile.period),
    periodType: profile.periodType
      ? `${stringAt(profile.periodType.type, 'period type')}/${stringAt(profile.periodType.unit, 'period unit')}`
      : '',
    sampleTypes: sampleTypes.map((t) => `${t.type}/${t.unit}`),
    sampleCount: profile.sample.length,
    samples: rows,
    stacks: [...stacks.values()],
    frames: [...frames.values()],
  };
}
