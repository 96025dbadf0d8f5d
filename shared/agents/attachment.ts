import { type Encoding, sniffEncoding } from '../platform/compression.js';
import { badRequest, unsupportedMediaType } from '../platform/errors.js';

/**
 * What an agent upload carries besides its metadata: named byte blobs. pprof attachments become
 * profiles (raw object + envelope); the others (metrics.json, go.trace, …) are kept raw only.
 * Uploads never decode pprof (that is the consumer's job), but they do refuse, before storing
 * anything, bytes that can be nothing the consumer could read.
 */
export interface Attachment {
  /** File name as the agent names it: `cpu.pprof`, `delta-heap.pprof`, `metrics.json`, … */
  name: string;
  bytes: Buffer;
  encoding: Encoding;
  kind: 'pprof' | 'raw';
  /** What the profile measures, when the agent says so: `cpu`, `delta-heap`, `goroutines`, … */
  profileType: string | undefined;
}

// Names become S3 key segments and envelope fields: a conservative alphabet, no path separators.
const attachmentNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkAttachmentName(name: string): string {
  if (!attachmentNamePattern.test(name)) {
    throw badRequest(
      `attachment name ${JSON.stringify(name.slice(0, 140))} must match ${attachmentNamePattern.source}`,
    );
  }
  return name;
}

/** Magic numbers of compressions that are not gzip or zstd, so the refusal can name them. */
const otherCompressions: { name: string; magic: readonly number[] }[] = [
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'snappy (framed)', magic: [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59] },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04] },
];

/**
 * First byte of an uncompressed pprof: the key of one of Profile's fields 1–14 in profile.proto
 * (field << 3 | wire type): length-delimited for the messages, string table, period type and a
 * packed comment list; varint for drop/keep_frames, time, duration, period, comment and
 * default_sample_type. Anything else cannot start a Profile message.
 */
const profileFieldKeys = new Set([
  0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x38, 0x40, 0x48, 0x50, 0x5a, 0x60, 0x68, 0x6a, 0x70,
]);

/** Sniffs a pprof attachment: gzip, zstd or plain pprof; refuses other compressions and non-pprof bytes. */
export function pprofEncodingOf(name: string, bytes: Uint8Array): Encoding {
  if (bytes.length === 0) throw badRequest(`attachment ${name} is empty`);
  const encoding = sniffEncoding(bytes);
  if (encoding !== 'identity') return encoding;
  const other = otherCompressions.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte));
  if (other) {
    throw unsupportedMediaType(`attachment ${name} is compressed with ${other.name}: send it raw, gzip or zstd`);
  }
  if (!profileFieldKeys.has(bytes[0] as number)) {
    throw unsupportedMediaType(`attachment ${name} is neither gzip, zstd nor an uncompressed pprof profile`);
  }
  return 'identity';
}

export function pprofAttachment(name: string, bytes: Buffer, profileType: string | undefined): Attachment {
  return { name: checkAttachmentName(name), bytes, encoding: pprofEncodingOf(name, bytes), kind: 'pprof', profileType };
}

/** An attachment kept raw only (no profile): any bytes; the encoding is recorded for readers. */
export function rawAttachment(name: string, bytes: Buffer): Attachment {
  return {
    name: checkAttachmentName(name),
    bytes,
    encoding: sniffEncoding(bytes),
    kind: 'raw',
    profileType: undefined,
  };
}
