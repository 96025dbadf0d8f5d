import { type Encoding, sniffEncoding } from '../platform/compression.js';
import { badRequest } from '../platform/errors.js';
import { checkProfileBytes } from '../profiles/ingest-profile.js';

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

/** Sniffs a pprof attachment: gzip, zstd or plain pprof, or a 4xx naming why it can be none. */
export function pprofEncodingOf(name: string, bytes: Uint8Array, maxDecompressedBytes: number): Encoding {
  if (bytes.length === 0) throw badRequest(`attachment ${name} is empty`);
  return checkProfileBytes(bytes, `attachment ${name}`, maxDecompressedBytes);
}

export function pprofAttachment(
  name: string,
  bytes: Buffer,
  profileType: string | undefined,
  maxDecompressedBytes: number,
): Attachment {
  return {
    name: checkAttachmentName(name),
    bytes,
    encoding: pprofEncodingOf(name, bytes, maxDecompressedBytes),
    kind: 'pprof',
    profileType,
  };
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
