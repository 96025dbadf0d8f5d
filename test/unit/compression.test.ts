import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  checkDeclaredSize,
  decompressBounded,
  gzipDeclaredSize,
  sniffEncoding,
} from '../../shared/platform/compression.js';
import { expectHotspotsError } from '../support/expect-hotspots-error.js';
import { sampleText } from '../support/sample-text.js';
import {
  ZSTD_MAX_BLOCK_BYTES,
  zstdFrameWithWindow,
  zstdRleBomb,
  zstdWindowDescriptor,
  zstdWindowSize,
} from '../support/zstd-frames.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Peak resident memory of this process so far, in bytes (getrusage ru_maxrss). */
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

describe('sniffEncoding', () => {
  it('recognises the gzip magic bytes', () => {
    expect(sniffEncoding(Uint8Array.of(0x1f, 0x8b, 0x08))).toBe('gzip');
  });

  it('recognises the zstd frame magic bytes', () => {
    expect(sniffEncoding(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00))).toBe('zstd');
  });

  it('reads anything else as identity', () => {
    expect(sniffEncoding(Uint8Array.of(0x0a, 0x04, 0x08, 0x01))).toBe('identity');
  });

  it('reads an empty payload as identity', () => {
    expect(sniffEncoding(new Uint8Array(0))).toBe('identity');
  });

  it('reads a lone first gzip byte as identity', () => {
    expect(sniffEncoding(Uint8Array.of(0x1f))).toBe('identity');
  });

  it('reads a truncated zstd magic as identity', () => {
    expect(sniffEncoding(Uint8Array.of(0x28, 0xb5, 0x2f))).toBe('identity');
  });
});

describe('decompressBounded with identity', () => {
  it('returns raw bytes unchanged', () => {
    const input = Uint8Array.of(0x0a, 0x02, 0x08, 0x01);

    expect(decompressBounded(input, 1024)).toEqual({ data: input, encoding: 'identity' });
  });

  it('refuses raw bytes above the limit', () => {
    expectHotspotsError(() => decompressBounded(new Uint8Array(2048), 1024), {
      code: 'payload_too_large',
      message: /1024 bytes/,
    });
  });
});

describe('decompressBounded with gzip', () => {
  it('round-trips compressed bytes', () => {
    const input = sampleText(200 * KiB);

    const { data, encoding } = decompressBounded(gzipSync(input), MiB);

    expect([encoding, Buffer.from(data).equals(Buffer.from(input))]).toEqual(['gzip', true]);
  });

  it('round-trips random, incompressible bytes', () => {
    const input = randomBytes(64 * KiB);

    const { data } = decompressBounded(gzipSync(input), MiB);

    expect(Buffer.from(data).equals(input)).toBe(true);
  });

  it('accepts output of exactly the limit', () => {
    const input = sampleText(4096);

    expect(decompressBounded(gzipSync(input), 4096).data.length).toBe(4096);
  });

  it('refuses output one byte above the limit', () => {
    expectHotspotsError(() => decompressBounded(gzipSync(sampleText(4097)), 4096), { code: 'payload_too_large' });
  });

  it('refuses a 50 MB bomb of zeros as payload_too_large, naming the limit', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1000 * 1000));

    expectHotspotsError(() => decompressBounded(bomb, MiB), {
      code: 'payload_too_large',
      retriable: false,
      message: `decompressed payload exceeds the limit of ${MiB} bytes`,
    });
  });

  it('stops a 4 GiB bomb without allocating its output', () => {
    // gzip members concatenate (RFC 1952 §2.2), so 64 copies of one 64 MiB member are a 4 GiB
    // stream that costs 4 MiB; inflating it whole would need 4 GiB and several seconds.
    const member = gzipSync(Buffer.alloc(64 * MiB));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    const peakBefore = peakRss();
    const started = performance.now();

    expectHotspotsError(() => decompressBounded(bomb, MiB), { code: 'payload_too_large' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(peakRss() - peakBefore).toBeLessThan(256 * MiB);
  });

  it('refuses a corrupt stream as unprocessable', () => {
    const corrupt = Buffer.from(gzipSync(sampleText(10 * KiB)));
    corrupt.fill(0xff, 20, 60);

    expectHotspotsError(() => decompressBounded(corrupt, MiB), {
      code: 'unprocessable',
      message: /gzip payload is corrupt/,
    });
  });

  it('refuses a truncated stream as unprocessable', () => {
    const whole = gzipSync(sampleText(10 * KiB));

    expectHotspotsError(() => decompressBounded(whole.subarray(0, whole.length - 20), MiB), { code: 'unprocessable' });
  });

  it('refuses the bare magic bytes as unprocessable', () => {
    expectHotspotsError(() => decompressBounded(Uint8Array.of(0x1f, 0x8b), MiB), { code: 'unprocessable' });
  });
});

describe('the gzip trailer (ISIZE)', () => {
  it('gives the size a gzip body declares', () => {
    expect(gzipDeclaredSize(gzipSync(sampleText(4096)))).toBe(4096);
  });

  it('gives no size for a trailer deflate could not produce from the body, as in a truncated stream', () => {
    const truncated = gzipSync(sampleText(64 * KiB)).subarray(0, 30);

    expect(gzipDeclaredSize(truncated)).toBeUndefined();
  });

  it('refuses a bomb from its trailer alone, without inflating it', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1000 * 1000));

    expectHotspotsError(() => checkDeclaredSize(bomb, MiB), { code: 'payload_too_large', status: 413 });
  });

  it('reads the last member of a multi-member body, whose size is a lower bound of the whole', () => {
    const small = gzipSync(sampleText(1024));
    const big = gzipSync(Buffer.alloc(2 * MiB));

    expectHotspotsError(() => checkDeclaredSize(Buffer.concat([small, big]), MiB), { code: 'payload_too_large' });
    expect(() => checkDeclaredSize(Buffer.concat([big, small]), MiB)).not.toThrow();
  });

  it('still stops, while inflating, a bomb whose trailer lies', () => {
    const bomb = Buffer.from(gzipSync(Buffer.alloc(8 * MiB)));
    bomb.writeUInt32LE(1024, bomb.length - 4);

    expect(() => checkDeclaredSize(bomb, MiB)).not.toThrow();
    expectHotspotsError(() => decompressBounded(bomb, MiB), { code: 'payload_too_large' });
  });

  it('refuses zstd frames whose block headers declare more, without decoding them', () => {
    expectHotspotsError(() => checkDeclaredSize(zstdRleBomb(16 * MiB), MiB), { code: 'payload_too_large' });
    expect(() => checkDeclaredSize(zstdRleBomb(MiB), MiB)).not.toThrow();
  });

  it('leaves raw bodies, and zstd frames it finds malformed, to the decoder', () => {
    expect(() => checkDeclaredSize(Uint8Array.of(0x0a, 0, 0, 0, 0xff, 0xff, 0xff, 0xff), 1)).not.toThrow();
    expect(() => checkDeclaredSize(zstdRleBomb(16 * MiB).subarray(0, 7), MiB)).not.toThrow();
    expect(() => checkDeclaredSize(zstdFrameWithWindow(zstdWindowDescriptor(21), 4), MiB)).not.toThrow();
  });
});

describe('decompressBounded with zstd', () => {
  it('decodes a small hand-built RLE frame under the limit', () => {
    const frame = zstdRleBomb(300_000, 0x61);

    const { data } = decompressBounded(frame, MiB);

    expect([data.length, data.every((byte) => byte === 0x61)]).toEqual([300_000, true]);
  });

  it('refuses a 16 GiB RLE bomb quickly, naming the limit', () => {
    const bomb = zstdRleBomb(16 * GiB);
    const started = performance.now();

    expectHotspotsError(() => decompressBounded(bomb, 8 * MiB), {
      code: 'payload_too_large',
      message: `decompressed payload exceeds the limit of ${8 * MiB} bytes`,
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops a 16 GiB RLE bomb without allocating its output', () => {
    const bomb = zstdRleBomb(16 * GiB);
    const peakBefore = peakRss();

    expectHotspotsError(() => decompressBounded(bomb, 8 * MiB));

    expect(peakRss() - peakBefore).toBeLessThan(256 * MiB);
  });

  it('refuses a frame whose declared window is far above the limit, before allocating it', () => {
    // A 46-byte frame that decodes to 10 bytes but declares a 64 MiB window: fzstd allocates the
    // whole window and moves it on every block, so memory and CPU follow the window, not the
    // output. RFC 8878 §3.1.1.1.2 lets a decoder refuse windows it will not allocate.
    const frame = zstdFrameWithWindow(zstdWindowDescriptor(16), 10);

    expectHotspotsError(() => decompressBounded(frame, MiB), { code: 'unprocessable' });
  });

  it('refuses an RLE frame cut before its last block as unprocessable', () => {
    const frame = zstdRleBomb(3 * ZSTD_MAX_BLOCK_BYTES);

    expectHotspotsError(() => decompressBounded(frame.subarray(0, frame.length - 4), MiB), { code: 'unprocessable' });
  });

  it('refuses the bare magic bytes as unprocessable', () => {
    expectHotspotsError(() => decompressBounded(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd), MiB), { code: 'unprocessable' });
  });
});

describe('zstd test frames', () => {
  it('costs four bytes per 128 KiB block', () => {
    expect(zstdRleBomb(GiB).length).toBe(6 + (GiB / ZSTD_MAX_BLOCK_BYTES) * 4);
  });

  it('declares the window size its descriptor encodes', () => {
    expect([zstdWindowSize(zstdWindowDescriptor(7)), zstdWindowSize(zstdWindowDescriptor(16, 4))]).toEqual([
      128 * KiB,
      96 * MiB,
    ]);
  });
});
