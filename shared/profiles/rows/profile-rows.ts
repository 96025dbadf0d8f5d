import { copyBytes } from '../../platform/bytes.js';
import { type CompactSamples, type FrameList, type FrameRow, type LabelSets, NO_TEXT } from '../../pprof/index.js';
import type { EndpointCounts } from '../endpoint-counts.js';
import type { ProfileEnvelope } from '../envelope.js';
import { encodeOnce, RowBinaryWriter } from './row-binary.js';

/**
 * RowBinary encoders for the consumer's tables. Each table's column list is spelled out in the
 * INSERT (not taken from the table's order), so the encoders stay valid when migrations add
 * columns with defaults. The samples encoder copies bytes that repeat: a per-profile prefix, a
 * per-sample-type part and a per-label-set part are encoded once; a row then costs two copies
 * and two 8-byte values.
 */
export interface RowBinaryTable {
  table: string;
  columns: readonly string[];
}

export const samplesTable: RowBinaryTable = {
  table: 'samples',
  columns: [
    'tenant',
    'service',
    'env',
    'version',
    'ts',
    'profile_id',
    'ingest_id',
    'sample_type',
    'sample_unit',
    'value',
    'span_id',
    'local_root_span_id',
    'endpoint',
    'trace_id',
    'label_keys',
    'label_values',
    'stack_id',
  ],
};
export const stacksTable: RowBinaryTable = { table: 'stacks', columns: ['tenant', 'stack_id', 'frame_ids'] };
export const framesTable: RowBinaryTable = {
  table: 'frames',
  columns: ['tenant', 'frame_id', 'function_name', 'system_name', 'file_name', 'line'],
};
export const endpointCountsTable: RowBinaryTable = {
  table: 'endpoint_counts',
  columns: ['tenant', 'service', 'env', 'version', 'ts', 'profile_id', 'ingest_id', 'endpoint', 'count'],
};
export const profilesTable: RowBinaryTable = {
  table: 'profiles',
  columns: [
    'tenant',
    'service',
    'profile_id',
    'ingest_id',
    'env',
    'version',
    'runtime_id',
    'start',
    'start_ns',
    'duration_ns',
    'period',
    'period_type',
    'sample_types',
    'sample_count',
    'row_count',
    'tag_keys',
    'tag_values',
    's3_key',
    'received_at',
    'committed_ns',
  ],
};

/** What every sample row of one profile shares. */
export interface SampleRowContext {
  tenant: string;
  service: string;
  env: string;
  version: string;
  profileId: string;
  ingestId: string;
}

export interface CompactProfileRows {
  compact: CompactSamples;
  sampleTypeList: readonly { type: string; unit: string }[];
}

/**
 * The bytes of a 64-bit column, or its 32-bit words (2i: low, 2i + 1: high; as are the label
 * sets' id words), copied into rows without a bigint per value: typed arrays are little-endian on
 * every platform Node runs on, as RowBinary wants.
 */
const bytesOf = (column: BigUint64Array | BigInt64Array): Uint8Array =>
  new Uint8Array(column.buffer, column.byteOffset, column.byteLength);

const wordsOf = (column: BigUint64Array | BigInt64Array): Uint32Array =>
  new Uint32Array(column.buffer, column.byteOffset, 2 * column.length);

const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Encodes rows [from, …) of a profile's samples until the writer holds at least `untilBytes`
 * bytes; returns the index of the next row to encode (= rowCount when done). Callers flush the
 * writer between calls, which bounds memory for any profile size.
 */
export class SampleRowEncoder {
  private readonly headViews: DataView[];
  /** Each label set's columns, encoded once into `labelSetColumns` at [start, end) (start -1: not yet). */
  private readonly labelSetColumns: RowBinaryWriter;
  private readonly labelSetStarts: Int32Array;
  private readonly labelSetEnds: Int32Array;
  /** The last label_keys column written: its labels and its bytes in `labelSetColumns`. */
  private lastKeys = { from: 0, to: -1, start: 0, end: 0 };
  private readonly stackIdWords: Uint32Array;
  private readonly valueWords: Uint32Array;

  constructor(
    context: SampleRowContext,
    private readonly rows: CompactProfileRows,
  ) {
    const { compact } = rows;
    this.headViews = rows.sampleTypeList.map((type) =>
      viewOf(
        encodeOnce((w) => {
          w.string(context.tenant);
          w.string(context.service);
          w.string(context.env);
          w.string(context.version);
          w.uint32(compact.ts);
          w.string(context.profileId);
          w.string(context.ingestId);
          w.string(type.type);
          w.string(type.unit);
        }),
      ),
    );
    // Sized for a usual set (~130 bytes: two ids, an endpoint, three labels): growing copies it.
    this.labelSetColumns = new RowBinaryWriter(Math.min(16 << 20, Math.max(1 << 16, 160 * compact.labelSets.count)));
    this.labelSetStarts = new Int32Array(compact.labelSets.count).fill(-1);
    this.labelSetEnds = new Int32Array(compact.labelSets.count);
    this.stackIdWords = wordsOf(compact.stackIds);
    this.valueWords = wordsOf(compact.values);
  }

  get rowCount(): number {
    return this.rows.compact.rowCount;
  }

  /** Encodes label set `index` unless done; returns where its bytes start in `labelSetColumns`. */
  private labelSet(index: number): number {
    const known = this.labelSetStarts[index] as number;
    if (known >= 0) return known;
    const sets = this.rows.compact.labelSets;
    if (!(index < sets.count)) throw new Error(`label set ${index} is missing`);
    const w = this.labelSetColumns;
    const start = w.length;
    const at = w.claim(16);
    const view = w.dataView();
    const span = sets.spanIdWords;
    const root = sets.localRootSpanIdWords;
    view.setUint32(at, span[2 * index] as number, true);
    view.setUint32(at + 4, span[2 * index + 1] as number, true);
    view.setUint32(at + 8, root[2 * index] as number, true);
    view.setUint32(at + 12, root[2 * index + 1] as number, true);
    const endpoint = sets.endpoints[index] as number;
    if (endpoint === NO_TEXT) w.uint8(1);
    else {
      w.uint8(0);
      w.stringFrom(sets, endpoint);
    }
    w.stringFrom(sets, sets.traceIds[index] as number);
    const from = sets.labelsFrom[index] as number;
    const to = sets.labelsFrom[index + 1] as number;
    this.labelKeysColumn(sets, from, to);
    w.varUint(to - from);
    for (let label = from; label < to; label++) w.stringFrom(sets, sets.labelValues[label] as number);
    this.labelSetStarts[index] = start;
    this.labelSetEnds[index] = w.length;
    return start;
  }

  /**
   * The label_keys column of labels [from, to): most sets of a profile have the same keys (those
   * of the agent's label set), so the bytes of the last set's keys are copied when they match.
   */
  private labelKeysColumn(sets: LabelSets, from: number, to: number): void {
    const w = this.labelSetColumns;
    const last = this.lastKeys;
    if (to - from === last.to - last.from) {
      let same = true;
      for (let i = 0; i < to - from && same; i++) same = sets.labelKeys[from + i] === sets.labelKeys[last.from + i];
      if (same) {
        const at = w.claim(last.end - last.start);
        copyBytes(w.dataView(), at, w.dataView(), last.start, last.end);
        return;
      }
    }
    const start = w.length;
    w.varUint(to - from);
    for (let label = from; label < to; label++) w.stringFrom(sets, sets.labelKeys[label] as number);
    this.lastKeys = { from, to, start, end: w.length };
  }

  encode(writer: RowBinaryWriter, from: number, untilBytes: number): number {
    const { compact } = this.rows;
    const { headViews, valueWords, stackIdWords } = this;
    let row = from;
    // A row is written in place: its head (per sample type), value, label set columns, stack id.
    for (; row < compact.rowCount && writer.length < untilBytes; row++) {
      const head = headViews[compact.sampleTypeIndex[row] as number];
      if (!head) throw new Error(`row ${row} has no sample type`);
      const labelSet = compact.labelSetIndex[row] as number;
      const setStart = this.labelSet(labelSet);
      const setEnd = this.labelSetEnds[labelSet] as number;
      const headBytes = head.byteLength;
      let at = writer.claim(headBytes + 16 + setEnd - setStart);
      const target = writer.dataView();
      copyBytes(target, at, head, 0, headBytes);
      at += headBytes;
      target.setUint32(at, valueWords[2 * row] as number, true);
      target.setUint32(at + 4, valueWords[2 * row + 1] as number, true);
      at += 8;
      copyBytes(target, at, this.labelSetColumns.dataView(), setStart, setEnd);
      at += setEnd - setStart;
      const stack = compact.stackIndex[row] as number;
      target.setUint32(at, stackIdWords[2 * stack] as number, true);
      target.setUint32(at + 4, stackIdWords[2 * stack + 1] as number, true);
    }
    return row;
  }
}

/**
 * Stack rows of one profile: its id and its frame ids, leaf first. The frame ids of a caller path
 * (a `stackCallerFrames` list, shared by every stack with those callers) are encoded once, and a
 * row copies them as one block; the tenant is encoded once.
 */
export class StackRowEncoder {
  private readonly frameIdBytes: Uint8Array;
  private readonly stackIdBytes: Uint8Array;
  private readonly tenantBytes: Buffer;
  private readonly callerBytes = new Map<FrameList, Uint8Array>();

  constructor(
    tenant: string,
    private readonly compact: CompactSamples,
  ) {
    this.frameIdBytes = bytesOf(compact.frameIds);
    this.stackIdBytes = bytesOf(compact.stackIds);
    this.tenantBytes = encodeOnce((w) => w.string(tenant));
  }

  private callerBlock(callers: FrameList): Uint8Array {
    let bytes = this.callerBytes.get(callers);
    if (!bytes) {
      bytes = new Uint8Array(8 * callers.length);
      for (let i = 0; i < callers.length; i++) {
        const at = 8 * (callers[i] as number);
        bytes.set(this.frameIdBytes.subarray(at, at + 8), 8 * i);
      }
      this.callerBytes.set(callers, bytes);
    }
    return bytes;
  }

  encode(writer: RowBinaryWriter, stack: number): void {
    const leaf = this.compact.stackLeafFrames(stack);
    const callers = this.compact.stackCallerFrames(stack);
    writer.raw(this.tenantBytes);
    writer.eightBytes(this.stackIdBytes, 8 * stack);
    writer.varUint(leaf.length + callers.length);
    for (const frame of leaf) writer.eightBytes(this.frameIdBytes, frame * 8);
    if (callers.length > 0) writer.raw(this.callerBlock(callers));
  }
}

export function encodeFrameRow(writer: RowBinaryWriter, row: FrameRow): void {
  writer.string(row.tenant);
  writer.uint64(BigInt(row.frame_id));
  writer.string(row.function_name);
  writer.string(row.system_name);
  writer.string(row.file_name);
  writer.int64(BigInt(row.line));
}

/**
 * Frame rows of one profile, the id copied from `frameIds` (no decimal text, no bigint) and the
 * texts from the profile's bytes (no JS string per text).
 */
export class FrameRowEncoder {
  private readonly frameIdBytes: Uint8Array;
  private readonly tenantBytes: Buffer;

  constructor(
    tenant: string,
    private readonly compact: CompactSamples,
  ) {
    this.frameIdBytes = bytesOf(compact.frameIds);
    this.tenantBytes = encodeOnce((w) => w.string(tenant));
  }

  encode(writer: RowBinaryWriter, frame: number): void {
    const frames = this.compact.frames;
    writer.raw(this.tenantBytes);
    writer.eightBytes(this.frameIdBytes, 8 * frame);
    writer.stringFrom(frames.texts, frames.names[frame] as number);
    writer.stringFrom(frames.texts, frames.systemNames[frame] as number);
    writer.stringFrom(frames.texts, frames.fileNames[frame] as number);
    writer.int64Number(frames.lines[frame] as number);
  }
}

/**
 * Hits per endpoint (Datadog `endpoint_counts`), stamped like the samples with the profile's
 * start second and ingest id, so that the committed-ingest filter applies to them unchanged.
 */
export function encodeEndpointCountRows(
  writer: RowBinaryWriter,
  envelope: ProfileEnvelope,
  counts: EndpointCounts,
  ingestId: string,
  ts: number,
): void {
  for (const [endpoint, count] of Object.entries(counts)) {
    writer.string(envelope.tenant);
    writer.string(envelope.service);
    writer.string(envelope.env);
    writer.string(envelope.version);
    writer.uint32(ts);
    writer.string(envelope.profile_id);
    writer.string(ingestId);
    writer.string(endpoint);
    writer.uint64(BigInt(count));
  }
}

export interface ProfileCommitRow {
  envelope: ProfileEnvelope;
  ingestId: string;
  startSeconds: number;
  startNs: bigint;
  durationNs: bigint;
  period: bigint;
  periodType: string;
  sampleTypes: readonly string[];
  sampleCount: number;
  rowCount: number;
  committedNs: bigint;
}

/** The `profiles` row: written after the profile's other rows, it commits them. */
export function encodeProfileRow(writer: RowBinaryWriter, row: ProfileCommitRow): void {
  const { envelope } = row;
  const tags = Object.entries(envelope.tags);
  writer.string(envelope.tenant);
  writer.string(envelope.service);
  writer.string(envelope.profile_id);
  writer.string(row.ingestId);
  writer.string(envelope.env);
  writer.string(envelope.version);
  writer.string(envelope.tags['runtime-id'] ?? '');
  writer.uint32(row.startSeconds);
  writer.int64(row.startNs);
  writer.int64(row.durationNs);
  writer.int64(row.period);
  writer.string(row.periodType);
  writer.stringArray(row.sampleTypes);
  writer.uint64(BigInt(row.sampleCount));
  writer.uint64(BigInt(row.rowCount));
  writer.stringArray(tags.map(([key]) => key));
  writer.stringArray(tags.map(([, value]) => value));
  writer.string(envelope.s3.key);
  writer.uint32(Math.max(0, Math.floor(Date.parse(envelope.received_at) / 1000) || 0));
  writer.uint64(row.committedNs);
}
