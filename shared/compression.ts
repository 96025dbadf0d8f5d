import { gunzipSync } from 'node:zlib';
import { Decompress } from 'fzstd';
import { type HotspotsError, unprocessable } from './errors.js';

export type Encoding = 'gzip' | 'zstd' | 'identity';

/** Magic bytes: gzip `1f 8b` (RFC 1952), zstd frame `28 b5 2f fd` (RFC 8878). Anything else is raw. */
export function sniffEncoding(bytes: Uint8Array): Encoding {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 4 && bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) {
    return 'zstd';
  }
  return 'identity';
}

function tooLarge(limit: number): HotspotsError {
  return unprocessable(`decompressed payload exceeds the limit of ${limit} bytes`);
}

/**
 * Decompresses by the sniffed encoding, refusing to produce more than `maxBytes` (bombs are
 * stopped while inflating, not after). Corrupt input is unprocessable: retrying cannot fix it.
 */
export function decompressBounded(bytes: Uint8Array, maxBytes: number): { data: Uint8Array; encoding: Encoding } {
  const encoding = sniffEncoding(bytes);
  if (encoding === 'identity') {
    if (bytes.length > maxBytes) throw tooLarge(maxBytes);
    return { data: bytes, encoding };
  }
  if (encoding === 'gzip') {
    try {
      return { data: gunzipSync(bytes, { maxOutputLength: maxBytes }), encoding };
    } catch (error) {
      if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw tooLarge(maxBytes);
      }
      throw unprocessable(`gzip payload is corrupt: ${(error as Error).message}`, error);
    }
  }
  return { data: zstdDecompressBounded(bytes, maxBytes), encoding };
}

function zstdDecompressBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
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
