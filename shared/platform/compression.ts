import { gunzipSync } from 'node:zlib';
import { Decompress } from 'fzstd';
import { type HotspotsError, payloadTooLarge, unprocessable } from './errors.js';

export type Encoding = 'gzip' | 'zstd' | 'identity';

/** Magic bytes: gzip `1f 8b` (RFC 1952), zstd frame `28 b5 2f fd` (RFC 8878). Anything else is raw. */
export function sniffEncoding(bytes: Uint8Array): Encoding {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) {
    return 'zstd';
  }
  return 'identity';
}

// Too large, not broken: the routes that decompress at the edge (traces) answer 413 as for an
// oversized body, and the consumer's dead letter says which limit was met.
function tooLarge(limit: number): HotspotsError {
  return payloadTooLarge(`decompressed payload exceeds the limit of ${limit} bytes`);
}

// Deflate's largest expansion is 1032:1 (a 258-byte match in as little as two bits, RFC 1951
// §3.2.5); a gzip member has at least 18 bytes of header and trailer (RFC 1952 §2.3).
const DEFLATE_MAX_RATIO = 1032;
const GZIP_MIN_MEMBER_BYTES = 18;

/**
 * The decompressed size a gzip body's trailer declares: ISIZE, its last four bytes (RFC 1952
 * §2.3.1), the size of the last member's input mod 2^32. It is a lower bound of the real size,
 * which earlier members (RFC 1952 §2.2) and wrapping past 4 GiB only make larger. undefined when
 * the trailer cannot be genuine (deflate cannot inflate the body that much): the stream is then
 * truncated or corrupt, for the decoder to refuse as such.
 */
export function gzipDeclaredSize(bytes: Uint8Array): number | undefined {
  if (bytes.length < GZIP_MIN_MEMBER_BYTES) return undefined;
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  return declared <= DEFLATE_MAX_RATIO * bytes.length ? declared : undefined;
}

/**
 * Refuses, without inflating anything, a body that declares more than `maxBytes`: a gzip trailer
 * (ISIZE), or zstd frames whose headers (Frame_Content_Size) or raw and RLE block headers add up
 * to more. A bomb costs a read of its headers instead of inflating up to the limit. Bodies that
 * declare less are still bounded while inflating (decompressBounded); zstd frames this walk finds
 * malformed are left for the decoder to refuse with its reason.
 */
export function checkDeclaredSize(bytes: Uint8Array, maxBytes: number): void {
  const encoding = sniffEncoding(bytes);
  if (encoding === 'gzip') {
    const declared = gzipDeclaredSize(bytes);
    if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  } else if (encoding === 'zstd') {
    try {
      checkZstdFrames(bytes, maxBytes);
    } catch (error) {
      if ((error as HotspotsError).code === 'payload_too_large') throw error;
    }
  }
}

/**
 * Output chunk size for gunzip: the declared size (only a hint) within [64 KiB, 1 MiB]. Node's
 * 16 KiB default took ~40 % more CPU on a 2 MB profile (130 chunks, then joined).
 */
function gunzipChunkBytes(bytes: Uint8Array): number {
  return Math.min(1 << 20, Math.max(64 << 10, gzipDeclaredSize(bytes) ?? 0));
}

/**
 * Decompresses by the sniffed encoding, refusing to produce more than `maxBytes` (bombs are
 * stopped while inflating, not after) as payload_too_large. Corrupt input is unprocessable:
 * retrying cannot fix either.
 */
export function decompressBounded(bytes: Uint8Array, maxBytes: number): { data: Uint8Array; encoding: Encoding } {
  const encoding = sniffEncoding(bytes);
  if (encoding === 'identity') {
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return { data: bytes, encoding };
  }
  if (encoding === 'gzip') {
    checkDeclaredSize(bytes, maxBytes);
    try {
      return { data: gunzipSync(bytes, { maxOutputLength: maxBytes, chunkSize: gunzipChunkBytes(bytes) }), encoding };
    } catch (error) {
      if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw tooLarge(maxBytes);
      }
      throw unprocessable(`gzip payload is corrupt: ${(error as Error).message}`, error);
    }
  }
  return { data: zstdDecompressBounded(bytes, maxBytes), encoding };
}

/**
 * Walks the frames (RFC 8878 §3.1) without decoding them and refuses any frame whose declared
 * window or content size is above the limit: decoders allocate the declared window up front, so a
 * 46-byte frame could otherwise cost gigabytes before a single byte of output exists.
 */
const ZSTD_MIN_SUPPORTED_WINDOW = 8 * 1024 * 1024;
const ZSTD_MAX_COPY_WORK = 8 * 1024 * 1024 * 1024;

export function checkZstdFrames(bytes: Uint8Array, maxBytes: number): void {
  const corrupt = (why: string) => unprocessable(`zstd payload is corrupt: ${why}`);
  // Encoders declare windows above the content size (the zstd CLI says 2 MiB for 6 bytes), so the
  // window may exceed a small limit up to the 8 MiB every decoder must support (RFC 8878 §3.1.1.1.2).
  const windowLimit = Math.max(maxBytes, ZSTD_MIN_SUPPORTED_WINDOW);
  let copyWork = 0;
  let knownOutput = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw corrupt('truncated frame magic');
    const magic = view.getUint32(at, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: magic, 4-byte size, user data.
      if (at + 8 > bytes.length) throw corrupt('truncated skippable frame');
      at += 8 + view.getUint32(at + 4, true);
      continue;
    }
    if (magic !== 0xfd2fb528) throw corrupt('bad frame magic');
    const descriptor = bytes[at + 4];
    if (descriptor === undefined) throw corrupt('truncated frame header');
    const contentSizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
    let offset = at + 5;
    let windowSize = 0;
    if (!singleSegment) {
      const windowDescriptor = bytes[offset];
      if (windowDescriptor === undefined) throw corrupt('truncated window descriptor');
      const base = 2 ** (10 + (windowDescriptor >> 3));
      windowSize = base + (base / 8) * (windowDescriptor & 7);
      offset += 1;
    }
    offset += dictionaryIdBytes;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag] ?? 0;
    if (offset + contentSizeBytes > bytes.length) throw corrupt('truncated frame header');
    let contentSize: number | undefined;
    if (contentSizeBytes === 1) contentSize = view.getUint8(offset);
    else if (contentSizeBytes === 2) contentSize = view.getUint16(offset, true) + 256;
    else if (contentSizeBytes === 4) contentSize = view.getUint32(offset, true);
    else if (contentSizeBytes === 8) contentSize = Number(view.getBigUint64(offset, true));
    offset += contentSizeBytes;
    if (singleSegment) windowSize = contentSize ?? 0;
    if (contentSize !== undefined && contentSize > maxBytes) throw tooLarge(maxBytes);
    if (windowSize > windowLimit) {
      throw unprocessable(`zstd frame declares a ${windowSize}-byte window, above the limit of ${windowLimit} bytes`);
    }
    // Blocks: 3-byte little-endian header (last flag, type, size); RLE blocks carry one byte.
    for (;;) {
      if (offset + 3 > bytes.length) throw corrupt('truncated block header');
      const header = (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16);
      const last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      if (type === 3) throw corrupt('reserved block type');
      // Raw and RLE blocks say exactly how much they regenerate: count it against the limit.
      if (type !== 2) knownOutput += header >> 3;
      if (knownOutput > maxBytes) throw tooLarge(maxBytes);
      offset += 3 + (type === 1 ? 1 : header >> 3);
      // The decoder slides its whole window once per block: bound that work, or a stream of tiny
      // RLE blocks under a large window burns CPU far beyond what its output size suggests.
      copyWork += Math.min(windowSize, maxBytes);
      if (copyWork > ZSTD_MAX_COPY_WORK) throw unprocessable('zstd payload has too many blocks for its window size');
      if (last) break;
    }
    at = offset + (checksum ? 4 : 0);
  }
}

function zstdDecompressBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  checkZstdFrames(bytes, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let exceeded = false;
  // fzstd's streaming API hands out chunks as they decode, so the bound holds before allocation.
  // Throwing from the handler aborts decoding at once, so a bomb costs no more CPU than the limit.
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) {
      exceeded = true;
      throw tooLarge(maxBytes);
    }
    // Copied because the decoder may reuse its block buffer for the sliding window.
    chunks.push(chunk.slice());
  });
  try {
    const step = 64 * 1024;
    for (let offset = 0; offset < bytes.length; offset += step) {
      const end = Math.min(offset + step, bytes.length);
      stream.push(bytes.subarray(offset, end), end === bytes.length);
    }
  } catch (error) {
    if (exceeded) throw tooLarge(maxBytes);
    throw unprocessable(`zstd payload is corrupt: ${(error as Error).message}`, error);
  }
  if (exceeded) throw tooLarge(maxBytes);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
