/**
 * Hand-built Zstandard frames (RFC 8878), so that decompression bombs of any declared size cost
 * next to nothing to create: an RLE block is 3 header bytes plus the one byte it repeats.
 *
 * Frame layout (RFC 8878 §3.1.1):
 *   Magic_Number 28 b5 2f fd | Frame_Header_Descriptor | [Window_Descriptor] | blocks…
 * Frame_Header_Descriptor 0x00: no Frame_Content_Size, not Single_Segment (so a Window_Descriptor
 * follows), no checksum, no dictionary. The frame never states its size: the decoder only learns
 * it by decoding, which is exactly what a bomb relies on.
 */
const magic = [0x28, 0xb5, 0x2f, 0xfd] as const;

/** Block_Maximum_Size is min(Window_Size, 128 KiB) (RFC 8878 §3.1.1.2). */
export const ZSTD_MAX_BLOCK_BYTES = 128 * 1024;

/**
 * Window_Descriptor (§3.1.1.1.2): Exponent in bits 7–3, Mantissa in bits 2–0;
 * windowLog = 10 + Exponent, Window_Size = 2^windowLog + (2^windowLog / 8) * Mantissa.
 */
export function zstdWindowDescriptor(exponent: number, mantissa = 0): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) throw new RangeError('exponent must be 0..31');
  if (!Number.isInteger(mantissa) || mantissa < 0 || mantissa > 7) throw new RangeError('mantissa must be 0..7');
  return (exponent << 3) | mantissa;
}

/** Window_Size a descriptor declares, in bytes. */
export function zstdWindowSize(descriptor: number): number {
  const base = 2 ** (10 + (descriptor >> 3));
  return base + (base / 8) * (descriptor & 7);
}

/**
 * Block_Header (§3.1.1.2): 3 bytes little-endian; bit 0 Last_Block, bits 1–2 Block_Type
 * (0 Raw, 1 RLE, 2 Compressed), bits 3–23 Block_Size. For an RLE block Block_Size is the number of
 * times its single content byte is repeated.
 */
function writeBlockHeader(out: Uint8Array, at: number, type: 0 | 1, size: number, last: boolean): void {
  const header = (size << 3) | (type << 1) | (last ? 1 : 0);
  out[at] = header & 0xff;
  out[at + 1] = (header >> 8) & 0xff;
  out[at + 2] = (header >> 16) & 0xff;
}

function frameHeader(out: Uint8Array, windowDescriptor: number): number {
  out.set(magic, 0);
  out[4] = 0x00;
  out[5] = windowDescriptor;
  return 6;
}

/**
 * A valid zstd frame that decodes to `totalBytes` copies of `fill`, made of RLE blocks of up to
 * 128 KiB each (the last one flagged Last_Block). 1 GiB costs 32 KiB of frame.
 */
export function zstdRleBomb(totalBytes: number, fill = 0): Uint8Array {
  if (!Number.isSafeInteger(totalBytes) || totalBytes < 0) throw new RangeError('totalBytes must be a whole number');
  const blocks = Math.max(1, Math.ceil(totalBytes / ZSTD_MAX_BLOCK_BYTES));
  const out = new Uint8Array(6 + blocks * 4);
  // Exponent 7: windowLog 17, a 128 KiB window, the smallest that allows full-size blocks.
  let at = frameHeader(out, zstdWindowDescriptor(7));
  let remaining = totalBytes;
  for (let block = 0; block < blocks; block += 1) {
    const size = Math.min(remaining, ZSTD_MAX_BLOCK_BYTES);
    remaining -= size;
    writeBlockHeader(out, at, 1, size, block === blocks - 1);
    out[at + 3] = fill;
    at += 4;
  }
  return out;
}

/**
 * A frame that decodes to only `blockCount` bytes but declares an arbitrary Window_Size: the
 * decoder's memory is driven by the declared window, not by the output (RFC 8878 §3.1.1.1.2 lets
 * a decoder refuse windows beyond what it is willing to allocate).
 */
export function zstdFrameWithWindow(windowDescriptor: number, blockCount: number, fill = 0): Uint8Array {
  if (!Number.isInteger(blockCount) || blockCount < 1) throw new RangeError('blockCount must be at least 1');
  const out = new Uint8Array(6 + blockCount * 4);
  let at = frameHeader(out, windowDescriptor);
  for (let block = 0; block < blockCount; block += 1) {
    writeBlockHeader(out, at, 1, 1, block === blockCount - 1);
    out[at + 3] = fill;
    at += 4;
  }
  return out;
}
